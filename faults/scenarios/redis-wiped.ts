/** Redis wiped: FLUSHALL twice under steady load; the board is rebuilt from Postgres and converges. */
import { SIGNAL_TIMEOUT_MS, type Scenario } from "../harness";
import { steadyLoad } from "../load";

const PLAYERS = 30;
const FLUSHES = 2;

export const redisWiped: Scenario = {
  name: "redis-wiped",
  title: "FLUSHALL under steady load, twice",
  async run(harness) {
    const app = await harness.apps.get("primary");
    const failures: string[] = [];
    const players = await harness.players("redis_wiped", PLAYERS, app.url);
    const load = steadyLoad(harness.ledger, players, () => harness.anonymous(app.url), 4);
    try {
      for (let flush = 0; flush < FLUSHES; flush++) {
        // Each flush wipes a built board under a running load: as many actions completed as there are players since the last.
        await harness.boardReady();
        await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, `before flush ${flush + 1}`);
        await harness.redis.flushall();
      }
      // Rebuilt, and submits acknowledged on the rebuilt board.
      await harness.boardReady();
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "after the last flush");
      const { describe, reads } = await load.stop();
      if (reads.failed > 0) failures.push(`${reads.failed} of ${reads.tried} board reads failed`);
      // A change every subscriber watches, made after the fault: live updates flow again.
      const board = await harness.changeBoard(app.url);
      const behind = await load.subscribersBehind(board, SIGNAL_TIMEOUT_MS);
      if (behind.length > 0) failures.push(`${behind.length} live subscribers did not get the rebuilt board (version ${board.version}): at ${behind.join(", ")}`);
      return { load: describe, faults: `FLUSHALL ${FLUSHES}×, each once the load had completed as many actions as it has players on the built board (board, version, ready flag, rate-limit keys all gone)`, failures };
    } finally {
      await load.close();
    }
  },
};
