/**
 * Scenario 5 — live latency at low load: what one player sees of another's submit when nothing
 * else is going on. One subscriber holds `leaderboard.live` (the shared SSE reader,
 * test/support/live-stream.ts) on the first instance; submits go one at a time through the same
 * instance, each only after the subscriber has seen the one before, at most
 * `lowLoadSubmitRate` a second. Latency = the event's arrival − the submit's send.
 *
 * The submits lift the live drivers in turn (drivers.ts), so each changes the subscriber's top
 * 10 and no user comes near the per-user rate limit, whatever the machine's speed.
 */
import { ScoreboardClient } from "../../test/support/client";
import { Samples } from "../stats";
import { report, type BenchContext } from "./context";
import { liftLowestDriver, type Driver } from "./drivers";

/** Bounds the wait for one submit's event; reaching it is reported as an error of that submit. */
const EVENT_TIMEOUT_MS = 10_000;

export async function lowLoadLatencyScenario(ctx: BenchContext, drivers: Driver[]) {
  const { lowLoadSubmits: submits, lowLoadSubmitRate: rate } = ctx.options;
  const [app] = ctx.apps;
  const watcher = await new ScoreboardClient(app.url).live({ limit: 10 });
  const toEvent = new Samples();
  const toAnswer = new Samples();
  const errors: Record<string, number> = {};
  try {
    await watcher.until(() => true, EVENT_TIMEOUT_MS);
    // The submit rate is the scenario's load (low, by design); pacing it is the point of the wait.
    const intervalMs = 1000 / rate;
    const started = performance.now();
    for (let i = 0; i < submits; i++) {
      const wait = started + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        const lift = await liftLowestDriver(drivers, 0, ctx.tokenKey);
        toAnswer.add(lift.answeredAt - lift.sentAt);
        const shown = await watcher.until((board) => board.entries.some((entry) => entry.userId === lift.userId && entry.score === lift.result.score) || undefined, EVENT_TIMEOUT_MS);
        // Snapshots carry performance.now(); the submit's send time is wall clock (stats.ts).
        toEvent.add(performance.timeOrigin + shown.at - lift.sentAt);
      } catch (error) {
        if (watcher.error) throw watcher.error;
        const name = (error as Error).message.slice(0, 80);
        errors[name] = (errors[name] ?? 0) + 1;
      }
    }
  } finally {
    watcher.close();
  }
  const answer = toAnswer.summary();
  const row = {
    scenario: "live latency, low load",
    variant: "1 subscriber, 1 submit at a time",
    clients: 1,
    latency: toEvent.summary(),
    errors,
    note: [`${submits} submits, at most ${rate}/s`, answer.count > 0 ? `the submit's own answer: p50 ${answer.p50.toFixed(1)} ms, p99 ${answer.p99.toFixed(1)} ms` : ""].filter(Boolean).join("; "),
  };
  report(ctx, row);
}
