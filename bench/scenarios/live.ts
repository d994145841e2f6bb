/**
 * Scenario 6 — live fan-out. Subscribers (bench/subscribers.ts, a worker process) hold
 * `leaderboard.live` streams while the drivers (drivers.ts) submit at a steady rate, each
 * submit changing the top 10; each subscriber's latency is its event's arrival time minus the
 * submit's send time (wall clock, one machine).
 *
 * First `liveSubscribers` streams over the two instances (submits alternate between them, so
 * half the changes reach each instance through Redis pub/sub); then a ramp on one instance,
 * reporting its RSS and the latency at each step.
 */
import { rssMiB } from "../proc";
import type { CaughtUpResult, CollectResult, OpenResult } from "../subscribers";
import type { Worker } from "../worker";
import { formatRow, type BenchContext, type ResultRow, type RunningApp } from "./context";
import { liftLowestDriver, type Driver } from "./drivers";

/** Bounds the wait for every subscriber to receive the last submit's board (a failure, when reached: reported). */
const CATCH_UP_TIMEOUT_MS = 30_000;
/** Bounds the wait for an instance to count exactly the streams this side holds (a mismatch, when reached: reported). */
const STREAM_COUNT_TIMEOUT_MS = 60_000;
const METRICS_POLL_MS = 100;

export type LiveLoad = { subscribers: Worker; drivers: Driver[]; targets: number[]; rate: number; seconds: number; tokenKey: Buffer };

export async function liveScenario(ctx: BenchContext, subscribers: Worker, drivers: Driver[]) {
  const live = (targets: number[], seconds: number) =>
    measureLive({ subscribers, drivers, targets, rate: ctx.options.liveSubmitRate, seconds, tokenKey: ctx.tokenKey });

  // Before any stream: the baseline each step's per-stream memory is counted from.
  const [app] = ctx.apps;
  const baselineRss = await rssMiB(app.pid);

  // Two instances.
  const half = Math.floor(ctx.options.liveSubscribers / 2);
  ctx.progress.detail(`${ctx.options.liveSubscribers} subscribers over two instances`);
  const opened = [
    await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[0].url, count: half }),
    await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[1].url, count: ctx.options.liveSubscribers - half }),
  ];
  const twoInstances = await live([0, 1], ctx.options.liveSeconds);
  report(ctx, {
    scenario: "live fan-out",
    variant: `${ctx.options.liveSubscribers.toLocaleString("en")} subscribers, two instances`,
    ...twoInstances.row,
    rssMiB: await Promise.all(ctx.apps.map((app) => rssMiB(app.pid))),
    note: [twoInstances.note, ...opened.map(openFailures)].filter(Boolean).join("; "),
  });
  await subscribers.request({ command: "close" });
  // The instances release closed streams when they notice the connections went: before the ramp counts memory and latency.
  const leftOpen = await Promise.all(ctx.apps.map((instance) => untilInstanceHolds(instance, 0)));
  if (leftOpen.some((held) => held > 0)) ctx.progress.log(`  the instances still count ${leftOpen.join(" + ")} closed streams as open`);

  // One instance, ramping up.
  for (const count of ctx.options.rampSteps) {
    ctx.progress.detail(`${count.toLocaleString("en")} subscribers on one instance`);
    const before = await subscribers.request<OpenResult>({ command: "open", origin: app.url, count: 0 });
    const result = await subscribers.request<OpenResult>({ command: "open", origin: app.url, count: count - before.open });
    const counted = await untilInstanceHolds(app, result.open);
    const rss = await rssMiB(app.pid);
    const step = await live([0], ctx.options.rampSeconds);
    report(ctx, {
      scenario: "live fan-out",
      variant: `${count.toLocaleString("en")} subscribers, one instance`,
      ...step.row,
      rssMiB: [rss],
      note: [
        `held ${result.open.toLocaleString("en")}`,
        openFailures(result),
        counted === result.open ? "" : `the instance counted ${counted.toLocaleString("en")}`,
        step.note,
        `${(((rss - baselineRss) * 1024) / Math.max(1, result.open)).toFixed(0)} KiB per stream over ${baselineRss.toFixed(0)} MiB before any stream`,
      ]
        .filter(Boolean)
        .join("; "),
    });
  }
  await subscribers.request({ command: "close" });
}

function report(ctx: BenchContext, row: ResultRow) {
  ctx.results.push(row);
  ctx.progress.log(formatRow(row));
}

function openFailures(result: OpenResult) {
  return result.failed > 0 ? `${result.failed} failed to open (${Object.entries(result.errors).map(([name, n]) => `${n}× ${name}`).join(", ")})` : "";
}

/**
 * Waits until the instance's own gauge (`scoreboard_live_subscribers` on /api/metrics) counts
 * `count` open streams, or the deadline; returns its count. Polled: the gauge is read on
 * request, nothing pushes it.
 */
async function untilInstanceHolds(app: RunningApp, count: number) {
  const deadline = performance.now() + STREAM_COUNT_TIMEOUT_MS;
  for (;;) {
    const held = await liveStreamsHeld(app);
    if (held === count || performance.now() > deadline) return held;
    await new Promise((resolve) => setTimeout(resolve, METRICS_POLL_MS));
  }
}

async function liveStreamsHeld(app: RunningApp) {
  const response = await fetch(`${app.url}/api/metrics`);
  const text = await response.text();
  const value = /^scoreboard_live_subscribers (\d+)$/m.exec(text)?.[1];
  if (!response.ok || value === undefined) throw new Error(`GET ${app.url}/api/metrics: HTTP ${response.status}, no scoreboard_live_subscribers`);
  return Number(value);
}

/**
 * Submits at `rate` for `seconds` (to the given instances in turn), waits until every
 * subscriber has the board the last submit made, and collects every subscriber's latency.
 */
export async function measureLive({ subscribers, drivers, targets, rate, seconds, tokenKey }: LiveLoad) {
  await subscribers.request({ command: "mark" });
  const sent: [string, number][] = [];
  const errors: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  // The submit rate is the scenario's load; pacing it is the point of the wait.
  const intervalMs = 1000 / rate;
  const total = Math.round(seconds * rate);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = started + i * intervalMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      liftLowestDriver(drivers, targets[i % targets.length]!, tokenKey).then(
        ({ key, sentAt }) => void sent.push([key, sentAt]),
        (error: Error) => {
          const name = error.message.slice(0, 80);
          errors[name] = (errors[name] ?? 0) + 1;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  // Every submit has published before answering, so the board's version now covers them all.
  const { version } = await drivers[0]!.clients[targets[0]!]!.query("leaderboard.top", { limit: 1 });
  const { behind } = await subscribers.request<CaughtUpResult>({ command: "caught-up", version, timeoutMs: CATCH_UP_TIMEOUT_MS });
  const collected = await subscribers.request<CollectResult>({ command: "collect", sent });
  const row: Partial<ResultRow> = {
    clients: collected.open,
    throughput: sent.length / seconds,
    latency: collected.latency,
    errors,
    generatorCpuPercent: collected.generatorCpuPercent,
  };
  const delivered = collected.expected > 0 ? (collected.delivered / collected.expected) * 100 : 0;
  const note = [
    `${delivered.toFixed(1)} % of ${collected.expected.toLocaleString("en")} expected events arrived`,
    behind > 0 ? `${behind.toLocaleString("en")} streams lacked the last board after ${CATCH_UP_TIMEOUT_MS / 1000} s` : "",
  ];
  return { row, note: note.filter(Boolean).join("; ") };
}
