/**
 * Live subscribers (a worker process, see worker.ts): many `leaderboard.live` SSE streams on
 * plain node:http, cheap enough that 10,000 fit in one process. Each stream's events are
 * matched to the submits that caused them by content: a submit is known by `userId:newScore`,
 * and a stream "receives" it with the first snapshot that shows it. Snapshots of one board
 * version are identical on every stream, so each is decoded once.
 */
import http from "node:http";

import { liveEventReader } from "../test/support/live-stream";
import { decodeBoard, queryPath } from "../test/support/wire";
import { cpuPercent, Samples, wallClockMs, type LatencySummary } from "./stats";
import { serveRequests } from "./worker";

export type SubscriberCommand =
  | { command: "open"; origin: string; count: number }
  | { command: "mark" }
  | { command: "caught-up"; version: number; timeoutMs: number }
  | { command: "collect"; sent: [key: string, sentAt: number][]; samples?: boolean }
  | { command: "close" };

export type OpenResult = { open: number; failed: number; errors: Record<string, number> };
/** Streams whose board is still older than the version waited for when the wait ended (0: all caught up). */
export type CaughtUpResult = { behind: number };
export type CollectResult = {
  latency: LatencySummary;
  open: number;
  /** Submits × open streams: what every stream should have received. */
  expected: number;
  delivered: number;
  /** Submits that every open stream received. */
  shownOnEveryStream: number;
  generatorCpuPercent: number;
  /** Every latency behind `latency` (ms), when asked for: to pool several measurements. */
  samples?: number[];
};

/** `lastVersion`: the id of the stream's newest snapshot (ids are board versions). */
type Stream = { request: http.ClientRequest; lastVersion: string | null };

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const streams = new Set<Stream>();
/** Board version → the `userId:score` keys its snapshot shows. */
const keysByVersion = new Map<string, Set<string>>();
/** "from>to" → keys shown by `to` and not by `from`. */
const newKeysByStep = new Map<string, string[]>();
/** Submit key → arrival times (wall clock ms) on every stream that received it. */
let arrivals = new Map<string, number[]>();
let cpuMark = process.cpuUsage();
let wallMark = performance.now();
/** A pending "caught-up" wait: the streams still behind `version`. */
let catchUp: { version: number; behind: Set<Stream>; done(): void } | null = null;
const OPEN_BATCH = 200;
const LIVE_PATH = queryPath("leaderboard.live", { limit: 10 });

function keysOf(version: string, data: string) {
  let keys = keysByVersion.get(version);
  if (!keys) {
    keys = new Set(decodeBoard(data).entries.map((entry) => `${entry.userId}:${entry.score}`));
    keysByVersion.set(version, keys);
    if (keysByVersion.size > 1_000) keysByVersion.delete(keysByVersion.keys().next().value!);
  }
  return keys;
}

function onBoard(stream: Stream, id: string | undefined, data: string, arrivedAt: number) {
  if (id === undefined) return;
  const keys = keysOf(id, data);
  const previous = stream.lastVersion;
  stream.lastVersion = id;
  if (catchUp && Number(id) >= catchUp.version) leaveCatchUp(stream);
  if (previous === null || previous === id) return; // the first snapshot is the board as it was
  const step = `${previous}>${id}`;
  let fresh = newKeysByStep.get(step);
  if (!fresh) {
    const before = keysByVersion.get(previous);
    fresh = [...keys].filter((key) => !before?.has(key));
    newKeysByStep.set(step, fresh);
    if (newKeysByStep.size > 10_000) newKeysByStep.clear();
  }
  for (const key of fresh) {
    let times = arrivals.get(key);
    if (!times) arrivals.set(key, (times = []));
    times.push(arrivedAt);
  }
}

/** The stream has caught up, or ended (then it never will): it no longer holds up the wait. */
function leaveCatchUp(stream: Stream) {
  if (catchUp?.behind.delete(stream) && catchUp.behind.size === 0) catchUp.done();
}

function ended(stream: Stream) {
  streams.delete(stream);
  leaveCatchUp(stream);
}

/** Opens one stream; resolves once its first snapshot arrived, rejects if it could not. */
function openStream(origin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream: Stream = { request: null as unknown as http.ClientRequest, lastVersion: null };
    stream.request = http.get(`${origin}${LIVE_PATH}`, { agent, headers: { accept: "text/event-stream" } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`HTTP ${response.statusCode}`));
      }
      // Every event in one chunk arrived at the same moment: read the clock once per chunk.
      let arrivedAt = 0;
      const feed = liveEventReader({ onBoard: (id, data) => onBoard(stream, id, data, arrivedAt) });
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        arrivedAt = wallClockMs();
        feed(chunk);
        if (stream.lastVersion !== null) resolve();
      });
      response.on("close", () => {
        ended(stream);
        reject(new Error("closed before the first snapshot"));
      });
    });
    stream.request.on("error", (error: NodeJS.ErrnoException) => {
      ended(stream);
      reject(error);
    });
    streams.add(stream);
  });
}

async function open(origin: string, count: number): Promise<OpenResult> {
  const errors: Record<string, number> = {};
  let failed = 0;
  // In batches: a burst of thousands of connects overflows the server's listen backlog.
  for (let done = 0; done < count; done += OPEN_BATCH) {
    const batch = Array.from({ length: Math.min(OPEN_BATCH, count - done) }, () => openStream(origin));
    for (const outcome of await Promise.allSettled(batch)) {
      if (outcome.status === "fulfilled") continue;
      failed += 1;
      const reason = (outcome.reason as NodeJS.ErrnoException).code ?? (outcome.reason as Error).message;
      errors[reason] = (errors[reason] ?? 0) + 1;
    }
  }
  return { open: streams.size, failed, errors };
}

/** Resolves once every open stream has a board at least as new as `version`, or at the deadline. */
function caughtUp(version: number, timeoutMs: number): Promise<CaughtUpResult> {
  const behind = new Set([...streams].filter((stream) => stream.lastVersion === null || Number(stream.lastVersion) < version));
  if (behind.size === 0) return Promise.resolve({ behind: 0 });
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      catchUp = null;
      resolve({ behind: behind.size });
    };
    const timer = setTimeout(finish, timeoutMs);
    catchUp = { version, behind, done: finish };
  });
}

function collect(sent: [string, number][], withSamples: boolean): CollectResult {
  const samples = new Samples();
  let delivered = 0;
  let shownOnEveryStream = 0;
  for (const [key, sentAt] of sent) {
    const times = arrivals.get(key) ?? [];
    for (const arrivedAt of times) samples.add(arrivedAt - sentAt);
    delivered += times.length;
    if (times.length >= streams.size) shownOnEveryStream += 1;
  }
  const cpu = process.cpuUsage(cpuMark);
  return {
    latency: samples.summary(),
    open: streams.size,
    expected: sent.length * streams.size,
    delivered,
    shownOnEveryStream,
    generatorCpuPercent: cpuPercent(cpu, performance.now() - wallMark),
    ...(withSamples ? { samples: samples.toArray() } : {}),
  };
}

serveRequests(async (message: SubscriberCommand) => {
  switch (message.command) {
    case "open":
      return open(message.origin, message.count);
    case "mark":
      arrivals = new Map();
      cpuMark = process.cpuUsage();
      wallMark = performance.now();
      return null;
    case "caught-up":
      return caughtUp(message.version, message.timeoutMs);
    case "collect":
      return collect(message.sent, message.samples ?? false);
    case "close":
      for (const stream of streams) stream.request.destroy();
      streams.clear();
      return null;
  }
});
