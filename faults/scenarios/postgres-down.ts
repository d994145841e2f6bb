/**
 * Postgres down: the app's database cluster stopped (`pg_ctl stop -m fast`) for 10 s under steady
 * load. Submits answer 503 DB_UNAVAILABLE (never another 5xx, never a hang), the Redis board never
 * shows a score Postgres did not commit, and once the cluster is back everything works again
 * without restarting the app.
 */
import type { Board } from "../../test/support/client";
import { boardMemberUserId } from "../../src/server/redis/board";
import type { Harness, Scenario } from "../harness";
import { sleep, steadyLoad, submitUntilDefinite, waitUntilCompletable } from "../load";

const OUTAGE_MS = 10_000;
/** Every request, also during the outage, is answered within this (generous on a shared 2-core machine). */
const MAX_ANSWER_MS = 10_000;

export const postgresDown: Scenario = {
  name: "postgres-down",
  title: "the app's PostgreSQL stopped for 10 s under steady load",
  async run(harness) {
    const app = await harness.apps.get("primary");
    const failures: string[] = [];
    const players = await harness.players("pg_down", 20, app.url);
    const loadStarted = performance.now();
    const load = steadyLoad(harness.ledger, app.url, players, () => harness.anonymous(app.url), 3);
    let redisSamples = 0;
    try {
      // One action per player, ready to submit as the database goes down: those submits race
      // the shutdown (the moment connections are cut), and more are sent during the outage.
      const pending = await Promise.all(players.map((player) => harness.ledger.start(player.session, player.userId, "COMPLETE_TASK")));
      const ready = pending.flatMap((outcome, index) => (outcome.kind === "ok" ? [{ player: players[index]!, action: outcome.value }] : []));
      if (ready.length !== players.length) failures.push(`${players.length - ready.length} actions could not be started before the outage`);
      await waitUntilCompletable(ready.at(-1)!.action);
      await sleep(Math.max(0, 3_000 - (performance.now() - loadStarted)));
      const unavailableBefore = submitsUnavailable(harness);
      const stopping = harness.cluster.postgres.stop();
      const racing = Promise.all(ready.map(({ player, action }) => harness.ledger.submit(player.session, player.userId, action)));
      await stopping;
      await racing;
      const outageEnds = Date.now() + OUTAGE_MS;
      const duringOutage = (async () => {
        await sleep(OUTAGE_MS / 3);
        return Promise.all(ready.map(({ player, action }) => harness.ledger.submit(player.session, player.userId, action)));
      })();
      let healthChecked = false;
      while (Date.now() < outageEnds) {
        // Whatever Redis shows now must be a score Postgres committed (checked with the invariants).
        harness.ledger.observe(await redisBoard(harness));
        redisSamples += 1;
        if (!healthChecked && Date.now() > outageEnds - OUTAGE_MS / 2) {
          healthChecked = true;
          const health = await fetch(`${app.url}/api/health`);
          const body = (await health.json()) as { down?: string[] };
          if (health.status !== 503 || !body.down?.includes("db")) failures.push(`/api/health during the outage: ${health.status} ${JSON.stringify(body)}`);
        }
        await sleep(200);
      }
      for (const outcome of await duringOutage) if (outcome.kind !== "unavailable") failures.push(`a submit during the outage answered ${outcome.kind === "ok" ? "ok" : outcome.kind === "refused" ? outcome.reason : outcome.kind}`);
      const unavailableDuring = submitsUnavailable(harness) - unavailableBefore;
      await harness.cluster.postgres.start();
      const restartedAt = performance.now();
      const healthyAfterMs = await untilHealthy(app.url, restartedAt);
      if (unavailableDuring === 0) failures.push("no submit was answered 503 DB_UNAVAILABLE while Postgres was down");
      // The actions whose submits failed during the outage still count, exactly once, when retried.
      for (const { player, action } of ready) {
        const outcome = await submitUntilDefinite(harness.ledger, player, action);
        if (outcome.kind !== "ok") failures.push(`after the restart, a retried submit answered ${outcome.kind === "refused" ? outcome.reason : outcome.kind}`);
      }
      await sleep(3_000);
      const { describe } = await load.stop();

      // Without restarting the app: every player completes a fresh action.
      const recovered = await Promise.all(
        players.map(async (player) => {
          const started = await harness.ledger.start(player.session, player.userId, "COMPLETE_TASK");
          if (started.kind !== "ok") return `${player.userId}: action.start ${started.kind}`;
          await waitUntilCompletable(started.value);
          const submitted = await submitUntilDefinite(harness.ledger, player, started.value);
          return submitted.kind === "ok" && !submitted.value.replayed ? null : `${player.userId}: score.submit ${submitted.kind}`;
        }),
      );
      for (const problem of recovered) if (problem) failures.push(`after the restart: ${problem}`);

      const slowest = Math.max(...harness.ledger.tally.slowest.values());
      if (slowest > MAX_ANSWER_MS) failures.push(`the slowest request took ${slowest} ms (a database outage must be answered, not waited out)`);
      const board = await harness.anonymous(app.url).trpc<Board>("query", "leaderboard.top", { limit: 100 });
      const behind = await load.subscribersBehind(board, 5_000);
      if (behind.length > 0) failures.push(`${behind.length} live subscribers did not get the board (version ${board.version}) after Postgres returned: at ${behind.join(", ")}`);
      return {
        load: describe,
        faults: `pg_ctl stop -m fast 3 s in, start ${OUTAGE_MS / 1000} s later (same port, same app processes); ${ready.length} submits sent as it stopped and ${ready.length} more during the outage, ${unavailableDuring} answered 503 DB_UNAVAILABLE, all later retried; Redis board sampled ${redisSamples}× during the outage; /api/health ok ${healthyAfterMs} ms after the restart; slowest 503 answer ${harness.ledger.tally.slowest.get("score.submit 503 DB_UNAVAILABLE") ?? 0} ms; afterwards all ${players.length} players completed a fresh action`,
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

/** The Redis board as it stands, read directly (members decoded with the app's own helper). */
async function redisBoard(harness: Harness): Promise<Board> {
  const flat = await harness.redis.zrevrange(harness.keys.board, 0, -1, "WITHSCORES");
  const entries = [];
  for (let i = 0; i < flat.length; i += 2) entries.push({ rank: i / 2 + 1, userId: boardMemberUserId(flat[i]!), displayName: "", score: Number(flat[i + 1]) });
  return { entries, version: 0 };
}

/** Polls /api/health until it answers 200; returns how long that took from `since`. */
async function untilHealthy(base: string, since: number, timeoutMs = 60_000) {
  while (performance.now() - since < timeoutMs) {
    if ((await fetch(`${base}/api/health`).catch(() => null))?.ok) return Math.round(performance.now() - since);
    await sleep(100);
  }
  throw new Error(`/api/health did not recover within ${timeoutMs} ms of the restart`);
}
