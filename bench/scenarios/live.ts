/**
 * Live fan-out. Subscribers (bench/subscribers.ts, a worker process) hold `leaderboard.live`
 * streams while the drivers (drivers.ts) submit at a steady rate, each submit changing the top
 * 10; each subscriber's latency is its event's arrival time minus the submit's send time (wall
 * clock, one machine).
 *
 * - Two instances: `liveSubscribers` streams split over both, submits alternating between them,
 *   so half the changes reach each instance through Redis pub/sub.
 * - Many streams on one instance: streams opened in steps; at each, once the instance's own
 *   gauge counts them, its RSS growth over its RSS before any stream, per stream. At the last
 *   step, the live latency while the board changes `manyStreamsSubmitRate` times a second.
 */
import { cpuSeconds, rssMiB } from "../proc";
import type { CaughtUpResult, CollectResult, OpenResult } from "../subscribers";
import type { Worker } from "../worker";
import { report, type BenchContext, type ResultRow, type RunningApp } from "./context";
import { liftLowestDriver, type Driver, type Lift } from "./drivers";

export const LIVE_TWO_INSTANCES = "live fan-out, two instances";
export const LIVE_ONE_INSTANCE = "live fan-out, one instance";
export const STREAM_MEMORY = "memory per open stream";

/** Bounds the wait for every subscriber to receive the last submit's board (a failure, when reached: reported). */
const CATCH_UP_TIMEOUT_MS = 30_000;
/** Bounds the wait for an instance to count exactly the streams this side holds (a mismatch, when reached: reported). */
const STREAM_COUNT_TIMEOUT_MS = 60_000;
const METRICS_POLL_MS = 100;

export type LiveLoad = {
  subscribers: Worker;
  drivers: Driver[];
  /** The instances (indexes into each driver's clients) the submits go to, in turn. */
  targets: number[];
  rate: number;
  seconds: number;
  tokenKey: Buffer;
  /** The serving instances' processes: their CPU while the submits run is reported, together. */
  serverPids: number[];
  /** Called with each submit once answered (the submitting player's page reacts to it). */
  onLift?: (lift: Lift) => void;
  /** Also return every latency sample (to pool several measurements). */
  keepSamples?: boolean;
};

export async function liveScenario(ctx: BenchContext, subscribers: Worker, drivers: Driver[]) {
  const { options } = ctx;
  const [app] = ctx.apps;
  // Before any stream: the baseline each step's memory per stream is counted from.
  const baselineRss = await rssMiB(app.pid);

  ctx.progress.detail(`${options.liveSubscribers.toLocaleString("en")} subscribers over two instances`);
  const half = Math.floor(options.liveSubscribers / 2);
  const opened = [
    await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[0].url, count: half }),
    await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[1].url, count: options.liveSubscribers - half }),
  ];
  const twoInstances = await measureLive({
    subscribers,
    drivers,
    targets: [0, 1],
    rate: options.liveSubmitRate,
    seconds: options.liveSeconds,
    tokenKey: ctx.tokenKey,
    serverPids: ctx.apps.map((instance) => instance.pid),
  });
  report(ctx, {
    scenario: LIVE_TWO_INSTANCES,
    variant: `${options.liveSubscribers.toLocaleString("en")} subscribers, ${options.liveSubmitRate} changes/s`,
    ...twoInstances.row,
    rssMiB: await Promise.all(ctx.apps.map((instance) => rssMiB(instance.pid))),
    note: [twoInstances.note, ...opened.map(openFailures)].filter(Boolean).join("; "),
  });
  await subscribers.request({ command: "close" });
  // The instances release closed streams when they notice the connections went: before memory is counted.
  const leftOpen = await Promise.all(ctx.apps.map((instance) => untilInstanceHolds(instance, 0, ctx.env.METRICS_TOKEN)));
  if (leftOpen.some((held) => held > 0)) ctx.progress.log(`  the instances still count ${leftOpen.join(" + ")} closed streams as open`);

  let previous = { held: 0, rss: baselineRss };
  for (const count of options.streamSteps) {
    ctx.progress.detail(`${count.toLocaleString("en")} streams on one instance`);
    const before = await subscribers.request<OpenResult>({ command: "open", origin: app.url, count: 0 });
    const result = await subscribers.request<OpenResult>({ command: "open", origin: app.url, count: count - before.open });
    const counted = await untilInstanceHolds(app, result.open, ctx.env.METRICS_TOKEN);
    const rss = await rssMiB(app.pid);
    const kibPerStream = ((rss - baselineRss) * 1024) / Math.max(1, result.open);
    const added = result.open - previous.held;
    report(ctx, {
      scenario: STREAM_MEMORY,
      variant: `${count.toLocaleString("en")} streams, one instance`,
      clients: result.open,
      rssMiB: [rss],
      kibPerStream,
      note: [
        `${kibPerStream.toFixed(0)} KiB per stream over the ${baselineRss.toFixed(0)} MiB before any stream`,
        previous.held > 0 && added > 0 ? `${(((rss - previous.rss) * 1024) / added).toFixed(0)} KiB per stream added since the step before` : "",
        counted === result.open ? "" : `the instance counted ${counted.toLocaleString("en")}`,
        openFailures(result),
      ]
        .filter(Boolean)
        .join("; "),
    });
    previous = { held: result.open, rss };
  }

  const rate = options.manyStreamsSubmitRate;
  ctx.progress.detail(`${previous.held.toLocaleString("en")} streams on one instance, ${rate} changes/s`);
  const manyStreams = await measureLive({ subscribers, drivers, targets: [0], rate, seconds: options.manyStreamsSeconds, tokenKey: ctx.tokenKey, serverPids: [app.pid] });
  report(ctx, {
    scenario: LIVE_ONE_INSTANCE,
    variant: `${previous.held.toLocaleString("en")} streams, ${rate} changes/s`,
    ...manyStreams.row,
    rssMiB: [await rssMiB(app.pid)],
    note: manyStreams.note,
  });
  await subscribers.request({ command: "close" });
}

function openFailures(result: OpenResult) {
  return result.failed > 0 ? `${result.failed} failed to open (${Object.entries(result.errors).map(([name, n]) => `${n}× ${name}`).join(", ")})` : "";
}

/**
 * Waits until the instance's own gauge (`scoreboard_live_subscribers` on /api/metrics) counts
 * `count` open streams, or the deadline; returns its count. Polled: the gauge is read on
 * request, nothing pushes it.
 */
async function untilInstanceHolds(app: RunningApp, count: number, metricsToken: string) {
  const deadline = performance.now() + STREAM_COUNT_TIMEOUT_MS;
  for (;;) {
    const held = await liveStreamsHeld(app, metricsToken);
    if (held === count || performance.now() > deadline) return held;
    await new Promise((resolve) => setTimeout(resolve, METRICS_POLL_MS));
  }
}

async function liveStreamsHeld(app: RunningApp, metricsToken: string) {
  const response = await fetch(`${app.url}/api/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  const text = await response.text();
  const value = /^scoreboard_live_subscribers (\d+)$/m.exec(text)?.[1];
  if (!response.ok || value === undefined) throw new Error(`GET ${app.url}/api/metrics: HTTP ${response.status}, no scoreboard_live_subscribers`);
  return Number(value);
}

/**
 * Submits at `rate` for `seconds` (to the given instances in turn), waits until every
 * subscriber has the board the last submit made, and collects every subscriber's latency.
 */
export async function measureLive({ subscribers, drivers, targets, rate, seconds, tokenKey, serverPids, onLift, keepSamples = false }: LiveLoad) {
  await subscribers.request({ command: "mark" });
  const serverCpu = () => Promise.all(serverPids.map(cpuSeconds)).then((values) => values.reduce((sum, value) => sum + value, 0));
  const cpuBefore = await serverCpu();
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
        (lift) => {
          sent.push([lift.key, lift.sentAt]);
          onLift?.(lift);
        },
        (error: Error) => {
          const name = error.message.slice(0, 80);
          errors[name] = (errors[name] ?? 0) + 1;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const serverCpuPercent = (((await serverCpu()) - cpuBefore) / ((performance.now() - started) / 1000)) * 100;
  // Every submit has published before answering, so the board's version now covers them all.
  const { version } = await drivers[0]!.clients[targets[0]!]!.query("leaderboard.top", { limit: 1 });
  const { behind } = await subscribers.request<CaughtUpResult>({ command: "caught-up", version, timeoutMs: CATCH_UP_TIMEOUT_MS });
  const collected = await subscribers.request<CollectResult>({ command: "collect", sent, samples: keepSamples });
  const arrivedPercent = collected.expected > 0 ? (collected.delivered / collected.expected) * 100 : 0;
  const row: Partial<ResultRow> = {
    clients: collected.open,
    throughput: sent.length / seconds,
    latency: collected.latency,
    errors,
    generatorCpuPercent: collected.generatorCpuPercent,
    serverCpuPercent,
    changes: { made: sent.length, shownOnEveryStream: collected.shownOnEveryStream, eventsArrivedPercent: arrivedPercent },
  };
  const note = [
    `${collected.shownOnEveryStream.toLocaleString("en")} of ${sent.length.toLocaleString("en")} changes shown on every stream`,
    `${arrivedPercent.toFixed(1)} % of ${collected.expected.toLocaleString("en")} expected events arrived`,
    behind > 0 ? `${behind.toLocaleString("en")} streams lacked the last board after ${CATCH_UP_TIMEOUT_MS / 1000} s` : "",
  ];
  return { row, note: note.filter(Boolean).join("; "), samples: collected.samples ?? [] };
}
