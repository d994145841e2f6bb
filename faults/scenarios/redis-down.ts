/**
 * Redis down: redis-server killed for 10 s under steady load, then started again (empty, on the
 * same port; the bridge stays up). Submits still commit, the board is read from Postgres
 * throughout, live subscribers get the board again once Redis is back, and Redis converges.
 */
import { healthAnswerProblem, SIGNAL_TIMEOUT_MS, untilHealthy, type Scenario } from "../harness";
import { sleep, steadyLoad } from "../load";

/** How long Redis stays down: the fault's size, not a wait for anything. */
const OUTAGE_MS = 10_000;
const PLAYERS = 30;

export const redisDown: Scenario = {
  name: "redis-down",
  title: "redis-server killed for 10 s under steady load",
  async run(harness) {
    const app = await harness.apps.get("primary");
    const failures: string[] = [];
    const players = await harness.players("redis_down", PLAYERS, app.url);
    const load = steadyLoad(harness.ledger, players, () => harness.anonymous(app.url), 4);
    try {
      // The fault hits a running load: as many actions completed as there are players, and reads answered.
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "before the outage");
      await harness.cluster.redis.kill();
      const outageEnds = Date.now() + OUTAGE_MS;
      const health = await healthAnswerProblem(app.url, { httpStatus: 503, down: "redis" });
      if (health) failures.push(`with Redis down, ${health}`);
      // Submits still commit, and reads still answer, while Redis is down.
      const duringOutage = load.progress.completed;
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "while Redis was down").catch((error: Error) => failures.push(error.message));
      await sleep(Math.max(0, outageEnds - Date.now())); // justified: the rest of the outage: its length is the fault's size, not a wait for anything.
      const completedDuringOutage = load.progress.completed - duringOutage;
      await harness.cluster.redis.start();

      // Back in service: healthy, the board rebuilt, and submits acknowledged again.
      await untilHealthy(app.url);
      await harness.boardReady();
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "after Redis returned");
      const { describe, reads } = await load.stop();
      if (reads.failed > 0) failures.push(`${reads.failed} of ${reads.tried} board reads failed (they must fall back to Postgres)`);
      // A change every subscriber watches, made after the fault: live updates flow again.
      const board = await harness.changeBoard(app.url);
      const behind = await load.subscribersBehind(board, SIGNAL_TIMEOUT_MS);
      if (behind.length > 0) failures.push(`${behind.length} live subscribers did not get the board (version ${board.version}) after Redis returned: at ${behind.join(", ")}`);
      return {
        load: describe,
        faults: `redis-server SIGKILLed once ${PLAYERS} actions had completed, restarted empty ${OUTAGE_MS / 1000} s later; ${completedDuringOutage} submits acknowledged during the outage, ${reads.tried} board reads (${reads.failed} failed)`,
        failures,
      };
    } finally {
      await load.close();
    }
  },
};
