/**
 * Live subscribers (a worker process, see worker.ts): many `leaderboard.live` SSE streams on
 * plain node:http, cheap enough that 10,000 fit in one process. Each stream's events are
 * matched to the submits that caused them by content: a submit is known by `userId:newScore`,
 * and a stream "receives" it with the first snapshot that shows it. Snapshots of one board
 * version are identical on every stream, so each is parsed once.
 */
import http from "node:http";

import { Samples, wallClockMs, type LatencySummary } from "./stats";
import { serveRequests } from "./worker";

export type SubscriberCommand =
  | { command: "open"; origin: string; count: number }
  | { command: "mark" }
  | { command: "collect"; sent: [key: string, sentAt: number][] }
  | { command: "close" };

export type OpenResult = { open: number; failed: number; errors: Record<string, number> };
export type CollectResult = {
  latency: LatencySummary;
  open: number;
  /** Submits × open streams: what every stream should have received. */
  expected: number;
  delivered: number;
  generatorCpuPercent: number;
};

type Stream = { request: http.ClientRequest; lastVersion: string | null; buffer: string; ended: boolean };

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
const OPEN_BATCH = 200;

function keysOf(version: string, data: string) {
  let keys = keysByVersion.get(version);
  if (!keys) {
    const board = (JSON.parse(data) as { json: { entries: { userId: string; score: number }[] } }).json;
    keys = new Set(board.entries.map((entry) => `${entry.userId}:${entry.score}`));
    keysByVersion.set(version, keys);
    if (keysByVersion.size > 1_000) keysByVersion.delete(keysByVersion.keys().next().value!);
  }
  return keys;
}

function onEvent(stream: Stream, block: string, arrivedAt: number) {
  let id: string | null = null;
  let data: string | null = null;
  for (const line of block.split("\n")) {
    if (line.startsWith("id: ")) id = line.slice(4);
    else if (line.startsWith("data: ")) data = line.slice(6);
    else if (line.startsWith("event: ")) return; // connected, ping, return, errors: bookkeeping
  }
  if (id === null || data === null) return;
  const keys = keysOf(id, data);
  const previous = stream.lastVersion;
  stream.lastVersion = id;
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

/** Opens one stream; resolves once its first snapshot arrived, rejects if it could not. */
function openStream(origin: string): Promise<void> {
  const input = encodeURIComponent(JSON.stringify({ json: { limit: 10 } }));
  return new Promise((resolve, reject) => {
    const stream: Stream = { request: null as unknown as http.ClientRequest, lastVersion: null, buffer: "", ended: false };
    stream.request = http.get(`${origin}/api/trpc/leaderboard.live?input=${input}`, { agent, headers: { accept: "text/event-stream" } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`HTTP ${response.statusCode}`));
      }
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        const arrivedAt = wallClockMs();
        stream.buffer += chunk;
        for (let end = stream.buffer.indexOf("\n\n"); end !== -1; end = stream.buffer.indexOf("\n\n")) {
          onEvent(stream, stream.buffer.slice(0, end), arrivedAt);
          stream.buffer = stream.buffer.slice(end + 2);
        }
        if (stream.lastVersion !== null) resolve();
      });
      response.on("close", () => {
        stream.ended = true;
        streams.delete(stream);
        reject(new Error("closed before the first snapshot"));
      });
    });
    stream.request.on("error", (error: NodeJS.ErrnoException) => {
      stream.ended = true;
      streams.delete(stream);
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

function collect(sent: [string, number][]): CollectResult {
  const samples = new Samples();
  let delivered = 0;
  for (const [key, sentAt] of sent) {
    for (const arrivedAt of arrivals.get(key) ?? []) {
      samples.add(arrivedAt - sentAt);
      delivered += 1;
    }
  }
  const cpu = process.cpuUsage(cpuMark);
  return {
    latency: samples.summary(),
    open: streams.size,
    expected: sent.length * streams.size,
    delivered,
    generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / (performance.now() - wallMark)) * 100,
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
    case "collect":
      return collect(message.sent);
    case "close":
      for (const stream of streams) stream.request.destroy();
      streams.clear();
      return null;
  }
});
