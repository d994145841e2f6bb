/**
 * What the page's extra reads cost the live fan-out (issue 18: "the page's extra reads do not
 * cost the live fan-out more than 10 % at 1,000 subscribers"). `liveSubscribers` streams over
 * the two instances while the drivers change the top 10 `liveSubmitRate` times a second, as in
 * the live scenario; `pageViewers` of those streams are signed-in viewers' pages
 * (bench/page-viewers.ts, a worker of their own): the players who submit (up to a third of the
 * viewers) and board users below the top. With their reads on, each viewer reads as the page
 * does (bench/page-model.ts, the page's own rule): `leaderboard.me` and `leaderboard.around` in
 * one GET at once after its own submit ("me" alone while it is on the top); `leaderboard.around`
 * alone after a frame its own stream received that could move it and does not show it, at most
 * once per 2 s, and a minute after its last refresh. A frame can move a viewer below the top when
 * a player new on the top is within a frame's reach of its score (two of the best action: they
 * may have come from below it), or one of its neighbours moves. The drivers lift one another just
 * above each other, so a driver below the top is within reach of nearly every frame and reads
 * about every 2 s; the board users far below the drivers never are, and read once a minute.
 *
 * The same streams are measured without and with the reads, in alternating rounds (ABBA) after an
 * unmeasured warm-up round; each side's latency pools its rounds' samples. Latency is timed on the anonymous streams
 * (bench/subscribers.ts), in a process apart from the one doing the reads.
 */
import path from "node:path";

import type { ViewerReadsResult, ViewersOpenResult } from "../page-viewers";
import type { BenchOptions } from "../options";
import { summarize } from "../stats";
import type { OpenResult } from "../subscribers";
import { startWorker, type Worker } from "../worker";
import { isMeasured, report, type BenchContext, type ResultRow } from "./context";
import type { Driver } from "./drivers";
import { measureLive } from "./live";

export const PAGE_READS = "page reads beside the live fan-out";
export const PAGE_READS_GETS = "the viewers' reads (leaderboard.me + leaderboard.around)";

/** How many of the subscribers are signed-in viewers. */
export const pageViewerCount = (options: Pick<BenchOptions, "pageViewers" | "liveSubscribers">) => Math.min(options.pageViewers, options.liveSubscribers);

/** The row of one side: `1,000 subscribers, no page reads` / `1,000 subscribers, 150 of them signed in and reading`. */
export const pageReadsVariant = (subscribers: number, readers: number | null) =>
  `${subscribers.toLocaleString("en")} subscribers, ${readers === null ? "no page reads" : `${readers.toLocaleString("en")} of them signed in and reading`}`;

type Round = { row: Partial<ResultRow>; note: string; samples: number[] };

/** The unmeasured round before the measured ones. */
export const PAGE_READS_WARMUP_SECONDS = (options: BenchOptions) => (options.quick ? 1 : 5);

/** An error of a side's row: one of its rounds failed (the rounds stop there). */
export const ROUND_FAILED = "a round failed: ";

export async function pageReadsScenario(ctx: BenchContext, subscribers: Worker, drivers: Driver[]) {
  const { options } = ctx;
  const viewerCount = pageViewerCount(options);
  // The players who submit are signed in and watching too: their pages read after each submit.
  const submitting = drivers.slice(0, Math.min(drivers.length, Math.floor(viewerCount / 3))).map((driver) => driver.user);
  const viewerUsers = [...submitting, ...ctx.boardUsers.slice(0, viewerCount - submitting.length)];
  const anonymous = options.liveSubscribers - viewerUsers.length;
  const viewers = startWorker(path.resolve("bench/page-viewers.ts"));
  const sides = { without: [] as Round[], with: [] as Round[] };
  const reads: ViewerReadsResult[] = [];
  // The first round that failed: the rounds stop there.
  let failed = null as { reading: boolean; round: number; message: string } | null;
  let opened: { subscribers: number; viewers: number; failures: string };
  try {
    ctx.progress.detail(`${options.liveSubscribers.toLocaleString("en")} streams over two instances, ${viewerUsers.length} of them signed in`);
    const half = Math.floor(anonymous / 2);
    const subscribersOpened = [
      await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[0].url, count: half }),
      await subscribers.request<OpenResult>({ command: "open", origin: ctx.apps[1].url, count: anonymous - half }),
    ];
    const viewersOpened = await viewers.request<ViewersOpenResult>({
      command: "open",
      viewers: viewerUsers.map((user, index) => ({ origin: ctx.apps[index % 2]!.url, user })),
    });
    opened = {
      subscribers: subscribersOpened.at(-1)!.open,
      viewers: viewersOpened.open,
      failures: [...subscribersOpened, viewersOpened]
        .filter((result) => Object.keys(result.errors).length > 0)
        .map((result) => Object.entries(result.errors).map(([name, count]) => `${count}× ${name}`).join(", "))
        .join(", "),
    };
    const live = (seconds: number, reading: boolean) =>
      measureLive({
        subscribers,
        drivers,
        targets: [0, 1],
        rate: options.liveSubmitRate,
        seconds,
        tokenKey: ctx.tokenKey,
        serverPids: ctx.apps.map((app) => app.pid),
        keepSamples: true,
        // The submitting player's page refreshes once its submit is answered.
        onLift: reading ? (lift) => void viewers.request({ command: "submitted", userId: lift.userId }).catch(() => {}) : undefined,
      });
    // Unmeasured, with the reads: both sides' paths warm before the first measured round, which
    // would otherwise take the cold start alone (a stall there once made "without" the slower side).
    // Should it fail, the measured rounds fail too, and say so.
    ctx.progress.detail("warm-up with the page's reads (not measured)");
    await viewers.request({ command: "start" });
    await live(PAGE_READS_WARMUP_SECONDS(options), true).catch(() => {});
    await viewers.request<ViewerReadsResult>({ command: "stop" });
    rounds: for (let round = 0; round < options.pageReadsRounds; round++) {
      for (const reading of round % 2 === 0 ? [false, true] : [true, false]) {
        ctx.progress.detail(`${reading ? "with" : "without"} the page's reads, round ${round + 1} of ${options.pageReadsRounds}`);
        if (reading) await viewers.request({ command: "start" });
        try {
          const measured = await live(options.pageReadsSeconds, reading);
          (reading ? sides.with : sides.without).push({ row: measured.row, note: measured.note, samples: measured.samples });
        } catch (error) {
          // An overloaded fan-out is what this scenario looks for: it is reported, and the run goes on.
          failed = { reading, round: round + 1, message: String((error as Error).message ?? error).split("\n")[0]!.slice(0, 120) };
        } finally {
          if (reading) reads.push(await viewers.request<ViewerReadsResult>({ command: "stop" }));
        }
        if (failed) break rounds;
      }
    }
  } finally {
    await subscribers.request({ command: "close" });
    await viewers.request({ command: "close" }).catch(() => {});
    await viewers.stop();
  }

  const streams = opened.subscribers + opened.viewers;
  const failures = opened.failures ? `failed to open: ${opened.failures}` : "";
  const timed = `latency timed on the ${opened.subscribers.toLocaleString("en")} anonymous streams`;
  const side = (reading: boolean) => {
    const result = pooled(reading ? sides.with : sides.without, options.pageReadsSeconds);
    if (failed?.reading !== reading) return result;
    const failure = `${ROUND_FAILED}round ${failed.round}, ${failed.message}`;
    return { row: { ...result.row, errors: { ...result.row.errors, [failure]: 1 } }, note: `${failure}; ${result.note}` };
  };
  const without = side(false);
  const withReads = side(true);
  report(ctx, {
    scenario: PAGE_READS,
    variant: pageReadsVariant(options.liveSubscribers, null),
    clients: streams,
    ...without.row,
    note: [`${opened.viewers} signed-in viewers' streams open, not reading`, timed, without.note, failures].filter(Boolean).join("; "),
  });
  const cost = (key: "p50" | "p99") => (withReads.row.latency?.[key] ?? NaN) / (without.row.latency?.[key] ?? NaN);
  const costNote = isMeasured(cost("p50")) ? `cost: p50 ${cost("p50").toFixed(2)}×, p99 ${cost("p99").toFixed(2)}× the rounds without` : "";
  report(ctx, {
    scenario: PAGE_READS,
    variant: pageReadsVariant(options.liveSubscribers, viewerUsers.length),
    clients: streams,
    ...withReads.row,
    note: [costNote, timed, withReads.note, failures].filter(Boolean).join("; "),
  });
  if (reads.length > 0) report(ctx, readsRow(reads, submitting.length));
}

/** One side's rounds as one row: latency over every round's samples, counts summed, CPU averaged. */
function pooled(rounds: Round[], seconds: number): { row: Partial<ResultRow>; note: string } {
  if (rounds.length === 0) return { row: { errors: {} }, note: "no round finished" };
  const made = rounds.reduce((sum, round) => sum + (round.row.changes?.made ?? 0), 0);
  const shown = rounds.reduce((sum, round) => sum + (round.row.changes?.shownOnEveryStream ?? 0), 0);
  const arrived = made === 0 ? 0 : rounds.reduce((sum, round) => sum + (round.row.changes?.eventsArrivedPercent ?? 0) * (round.row.changes?.made ?? 0), 0) / made;
  const errors: Record<string, number> = {};
  for (const round of rounds) for (const [name, count] of Object.entries(round.row.errors ?? {})) errors[name] = (errors[name] ?? 0) + count;
  const mean = (value: (row: Partial<ResultRow>) => number | undefined) => rounds.reduce((sum, round) => sum + (value(round.row) ?? 0), 0) / Math.max(1, rounds.length);
  const perRound = rounds.map((round) => `p50 ${round.row.latency!.p50.toFixed(1)} p99 ${round.row.latency!.p99.toFixed(1)} ms`);
  return {
    row: {
      throughput: made / (seconds * Math.max(1, rounds.length)),
      latency: summarize(Float64Array.from(rounds.flatMap((round) => round.samples))),
      errors,
      generatorCpuPercent: mean((row) => row.generatorCpuPercent),
      serverCpuPercent: mean((row) => row.serverCpuPercent),
      changes: { made, shownOnEveryStream: shown, eventsArrivedPercent: arrived },
    },
    note: [
      `${shown.toLocaleString("en")} of ${made.toLocaleString("en")} changes shown on every stream`,
      `${arrived.toFixed(1)} % of expected events arrived`,
      `${rounds.length === 1 ? "1 round" : `${rounds.length} rounds`}: ${perRound.join(" · ")}`,
      // A round whose streams did not all catch up says so (measureLive's note).
      ...rounds.flatMap((round, index) => round.note.split("; ").filter((part) => part.includes("lacked")).map((part) => `round ${index + 1}: ${part}`)),
    ].join("; "),
  };
}

/**
 * The viewers' GETs over every round with reads: rate, latency, what started the refreshes, and
 * the reader's own CPU. `readers.startedPerViewerSecond` is what the page's schedule asked of each
 * viewer per second (every refresh it started, sent or not because an answer was on its way), so
 * the refreshes sent against it say whether the reads were really made.
 */
function readsRow(rounds: ViewerReadsResult[], submitting: number): ResultRow {
  const seconds = rounds.reduce((sum, round) => sum + round.seconds, 0);
  const viewers = Math.max(0, ...rounds.map((round) => round.viewers));
  const sum = (value: (round: ViewerReadsResult) => number) => rounds.reduce((total, round) => total + value(round), 0);
  const latencies = rounds.flatMap((round) => round.latencies);
  const errors: Record<string, number> = {};
  for (const round of rounds) for (const [name, count] of Object.entries(round.errors)) errors[name] = (errors[name] ?? 0) + count;
  const refreshes = {
    frame: sum((round) => round.refreshes.frame),
    submit: sum((round) => round.refreshes.submit),
    idle: sum((round) => round.refreshes.idle),
    skipped: sum((round) => round.refreshes.skipped),
    cancelled: sum((round) => round.refreshes.cancelled),
  };
  const calls = { me: sum((round) => round.calls.me), around: sum((round) => round.calls.around) };
  const viewerSeconds = sum((round) => round.viewers * round.seconds);
  const sent = refreshes.frame + refreshes.submit + refreshes.idle;
  const perViewerSecond = (count: number) => (viewerSeconds > 0 ? count / viewerSeconds : 0);
  const count = (value: number) => value.toLocaleString("en");
  return {
    scenario: PAGE_READS,
    variant: PAGE_READS_GETS,
    clients: viewers,
    ...(seconds > 0 ? { throughput: latencies.length / seconds } : {}),
    latency: summarize(Float64Array.from(latencies)),
    errors,
    generatorCpuPercent: sum((round) => round.generatorCpuPercent * round.seconds) / Math.max(seconds, 1e-9),
    readers: { viewers, refreshesPerViewerSecond: perViewerSecond(sent), startedPerViewerSecond: perViewerSecond(sent + refreshes.skipped) },
    note: [
      `${viewers} signed-in viewers (${submitting} of them the players who submit), each on a keep-alive connection of its own`,
      `a refresh is one GET with the viewer's session cookie: after a frame or idle "around" alone (${count(refreshes.frame + refreshes.idle)}), after the viewer's own submit "me" and "around" batched, or "me" alone while it is on the top (${count(refreshes.submit)}); ${count(calls.me)} "me" and ${count(calls.around)} "around" calls`,
      `${perViewerSecond(sent).toFixed(3)} refreshes per viewer per second of the ${perViewerSecond(sent + refreshes.skipped).toFixed(3)} the page's schedule started`,
      `${count(refreshes.frame)} after a frame, ${count(refreshes.submit)} after the viewer's own submit, ${count(refreshes.idle)} idle; ${count(refreshes.skipped)} sent nothing (an answer on its way), ${count(refreshes.cancelled)} answers on their way cancelled for an own submit's`,
      `${count(sum((round) => round.movingFrames))} of ${count(sum((round) => round.frames))} frames called for a read`,
      `${count(sum((round) => round.answered))} answers right`,
    ].join("; "),
  };
}
