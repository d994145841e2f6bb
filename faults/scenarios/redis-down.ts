/**
 * Redis down: redis-server killed for 10 s under steady load, then started again (empty, on the
 * same port; the bridge stays up). Submits still commit, the board is read from Postgres
 * throughout, live subscribers get the board again once Redis is back, and Redis converges.
 */
import type { Board } from "../../test/support/client";
import type { Scenario } from "../harness";
import { appliedCount, sleep, steadyLoad } from "../load";

const OUTAGE_MS = 10_000;

export const redisDown: Scenario = {
  name: "redis-down",
  title: "redis-server killed for 10 s under steady load",
  async run(harness) {
    const app = await harness.apps.get("primary");
    const failures: string[] = [];
    const players = await harness.players("redis_down", 30, app.url);
    const load = steadyLoad(harness.ledger, app.url, players, () => harness.anonymous(app.url), 4);
    try {
      await sleep(3_000);
      const appliedBefore = appliedCount(harness.ledger);
      await harness.cluster.redis.kill();
      await sleep(OUTAGE_MS / 2);
      const health = await fetch(`${app.url}/api/health`);
      const healthBody = (await health.json()) as { down?: string[] };
      if (health.status !== 503 || !healthBody.down?.includes("redis")) failures.push(`/api/health during the outage: ${health.status} ${JSON.stringify(healthBody)}`);
      await sleep(OUTAGE_MS / 2);
      const appliedDuringOutage = appliedCount(harness.ledger) - appliedBefore;
      await harness.cluster.redis.start();
      if (appliedDuringOutage === 0) failures.push("no submit was acknowledged while Redis was down");
      await sleep(5_000);
      const { describe, reads } = await load.stop();
      if (reads.failed > 0) failures.push(`${reads.failed} of ${reads.tried} board reads failed (they must fall back to Postgres)`);
      const board = await harness.anonymous(app.url).trpc<Board>("query", "leaderboard.top", { limit: 100 });
      const behind = await load.subscribersBehind(board, 5_000);
      if (behind.length > 0) failures.push(`${behind.length} live subscribers did not get the board (version ${board.version}) after Redis returned: at ${behind.join(", ")}`);
      return {
        load: describe,
        faults: `redis-server SIGKILLed 3 s in, restarted empty ${OUTAGE_MS / 1000} s later; ${appliedDuringOutage} submits acknowledged during the outage, ${reads.tried} board reads (${reads.failed} failed)`,
        failures,
        convergeWithinMs: 5_000,
      };
    } finally {
      await load.close();
    }
  },
};
