/** Redis wiped: FLUSHALL twice under steady load; the board is rebuilt from Postgres and converges. */
import type { Board } from "../../test/support/client";
import type { Scenario } from "../harness";
import { sleep, steadyLoad } from "../load";

export const redisWiped: Scenario = {
  name: "redis-wiped",
  title: "FLUSHALL under steady load, twice",
  async run(harness) {
    const app = await harness.apps.get("primary");
    const failures: string[] = [];
    const players = await harness.players("redis_wiped", 30, app.url);
    const load = steadyLoad(harness.ledger, app.url, players, () => harness.anonymous(app.url), 4);
    try {
      for (let flush = 0; flush < 2; flush++) {
        await sleep(3_000);
        await harness.redis.flushall();
      }
      await sleep(3_000);
      const { describe, reads } = await load.stop();
      if (reads.failed > 0) failures.push(`${reads.failed} of ${reads.tried} board reads failed`);
      const board = await harness.anonymous(app.url).trpc<Board>("query", "leaderboard.top", { limit: 100 });
      const behind = await load.subscribersBehind(board, 5_000);
      if (behind.length > 0) failures.push(`${behind.length} live subscribers did not get the rebuilt board (version ${board.version}): at ${behind.join(", ")}`);
      return { load: describe, faults: "FLUSHALL at 3 s and at 6 s (board, version, ready flag, rate-limit keys all gone)", failures };
    } finally {
      await load.close();
    }
  },
};
