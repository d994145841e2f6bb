/**
 * Postgres down: the app's database cluster stopped (`pg_ctl stop -m fast`) for 10 s under steady
 * load. Submits answer 503 DB_UNAVAILABLE (never another 5xx, never a hang: a request the client
 * gives up on counts as unanswered, which fails the scenario), the Redis board never shows a
 * score Postgres did not commit, and once the cluster is back everything works again without
 * restarting the app.
 */
import { boardMemberUserId } from "../../src/server/redis/board-store";
import type { Board } from "../../test/support/wire";
import { healthAnswerProblem, SIGNAL_TIMEOUT_MS, untilHealthy, type Harness, type Scenario } from "../harness";
import { sleep, steadyLoad, submitUntilDefinite, waitUntilCompletable } from "../load";

/** How long Postgres stays down: the fault's size, not a wait for anything. */
const OUTAGE_MS = 10_000;
/** How often the Redis board is sampled during the outage (each sample is checked against what Postgres committed). */
const SAMPLE_INTERVAL_MS = 200;
const PLAYERS = 20;

export const postgresDown: Scenario = {
  name: "postgres-down",
  title: "the app's PostgreSQL stopped for 10 s under steady load",
  async run(harness) {
    const app = await harness.apps.get("primary");
    const failures: string[] = [];
    const players = await harness.players("pg_down", PLAYERS, app.url);
    const load = steadyLoad(harness.ledger, players, () => harness.anonymous(app.url), 3);
    let redisSamples = 0;
    try {
      // One action per player, ready to submit as the database goes down: those submits race
      // the shutdown (the moment connections are cut), and more are sent during the outage.
      const pending = await Promise.all(players.map((player) => harness.ledger.start(player.client, player.userId, "COMPLETE_TASK")));
      const ready = pending.flatMap((outcome, index) => (outcome.kind === "ok" ? [{ player: players[index]!, action: outcome.value }] : []));
      if (ready.length !== players.length) failures.push(`${players.length - ready.length} actions could not be started before the outage`);
      await waitUntilCompletable(ready.at(-1)!.action);
      // The fault hits a running load: as many actions completed as there are players, and reads answered.
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "before the outage");
      const unavailableBefore = submitsUnavailable(harness);
      const stopping = harness.cluster.postgres.stop();
      const racing = Promise.all(ready.map(({ player, action }) => harness.ledger.submit(player.client, player.userId, action)));
      await stopping;
      const outageEnds = Date.now() + OUTAGE_MS;
      await racing;

      // Stopped (pg_ctl waited for it): these are answered during the outage, before it ends.
      const duringOutage = await Promise.all(ready.map(({ player, action }) => harness.ledger.submit(player.client, player.userId, action)));
      for (const outcome of duringOutage) if (outcome.kind !== "unavailable") failures.push(`a submit during the outage answered ${outcome.kind === "ok" ? "ok" : outcome.kind === "refused" ? outcome.reason : outcome.kind}`);
      const health = await healthAnswerProblem(app.url, { httpStatus: 503, down: "db" });
      if (health) failures.push(`during the outage, ${health}`);
      do {
        // Whatever Redis shows now must be a score Postgres committed (checked with the invariants).
        harness.ledger.observe(await redisBoard(harness));
        redisSamples += 1;
        await sleep(Math.min(SAMPLE_INTERVAL_MS, Math.max(0, outageEnds - Date.now()))); // justified: sampling at its rate until the outage, whose length is the fault's size, is over.
      } while (Date.now() < outageEnds);
      const unavailableDuring = submitsUnavailable(harness) - unavailableBefore;
      await harness.cluster.postgres.start();
      await untilHealthy(app.url);
      if (unavailableDuring === 0) failures.push("no submit was answered 503 DB_UNAVAILABLE while Postgres was down");
      // The actions whose submits failed during the outage still count, exactly once, when retried.
      for (const { player, action } of ready) {
        const outcome = await submitUntilDefinite(harness.ledger, player, action);
        if (outcome.kind !== "ok") failures.push(`after the restart, a retried submit answered ${outcome.kind === "refused" ? outcome.reason : outcome.kind}`);
      }
      // The load recovered by itself: as many actions again completed.
      await load.progress.more({ completed: PLAYERS, reads: 4 }, SIGNAL_TIMEOUT_MS, "after Postgres returned");
      const { describe } = await load.stop();

      // Without restarting the app: every player completes a fresh action.
      const recovered = await Promise.all(
        players.map(async (player) => {
          const started = await harness.ledger.start(player.client, player.userId, "COMPLETE_TASK");
          if (started.kind !== "ok") return `${player.userId}: action.start ${started.kind}`;
          await waitUntilCompletable(started.value);
          const submitted = await submitUntilDefinite(harness.ledger, player, started.value);
          return submitted.kind === "ok" && !submitted.value.replayed ? null : `${player.userId}: score.submit ${submitted.kind}`;
        }),
      );
      for (const problem of recovered) if (problem) failures.push(`after the restart: ${problem}`);

      // A change every subscriber watches, made after the fault: live updates flow again.
      const board = await harness.changeBoard(app.url);
      const behind = await load.subscribersBehind(board, SIGNAL_TIMEOUT_MS);
      if (behind.length > 0) failures.push(`${behind.length} live subscribers did not get the board (version ${board.version}) after Postgres returned: at ${behind.join(", ")}`);
      return {
        load: describe,
        faults: `pg_ctl stop -m fast once ${PLAYERS} actions had completed, start ${OUTAGE_MS / 1000} s later (same port, same app processes); ${ready.length} submits sent as it stopped and ${ready.length} more during the outage, ${unavailableDuring} answered 503 DB_UNAVAILABLE, all later retried; Redis board sampled ${redisSamples}× during the outage; afterwards all ${players.length} players completed a fresh action`,
        failures,
        allowUnavailable: true,
      };
    } finally {
      await load.close();
    }
  },
};

function submitsUnavailable(harness: Harness) {
  return harness.ledger.tally.counts.get("score.submit 503 DB_UNAVAILABLE") ?? 0;
}

/** The Redis board's entries as they stand, read directly (members decoded with the app's own helper). */
async function redisBoard(harness: Harness): Promise<Pick<Board, "entries">> {
  const flat = await harness.redis.zrevrange(harness.keys.ranking, 0, -1, "WITHSCORES");
  const entries = [];
  for (let i = 0; i < flat.length; i += 2) entries.push({ rank: i / 2 + 1, userId: boardMemberUserId(flat[i]!), displayName: "", score: Number(flat[i + 1]) });
  return { entries };
}
