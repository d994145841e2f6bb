/**
 * Signed-in viewers of the page (issue 18), a worker process (worker.ts) of their own: each holds
 * the page's one `leaderboard.live` stream with its session cookie, as the browser sends it, and
 * reads its standing and neighbourhood as the page does (page-model.ts): both once when the page
 * loads and, while reads are on, at once after its own submit (the orchestrator says which user
 * submitted); its neighbourhood alone after a frame its stream received that calls for it, at
 * most every 2 s, and a minute after its last refresh, each viewer in its own phases, as pages
 * open at different moments. What it knows of itself for the page's rule (its score, its rank,
 * its neighbours) comes from those answers. Each refresh is one real GET of the browser's form
 * (the calls batched; `x-trpc-source`; the viewer's cookie) over the viewer's own keep-alive
 * connection; each answer is checked (200, the viewer's own standing, the viewer among its
 * neighbours).
 *
 * Apart from the measured subscribers (subscribers.ts), so that the reads' work on this side
 * never delays the arrivals being timed there; its own CPU is reported.
 */
import http from "node:http";

import type { Frame } from "../src/app/_components/board-changes";
import { STANDING_IDLE_REFRESH_MS, STANDING_REFRESH_MS } from "../src/app/_components/board-queries";
import { liveEventReader } from "../test/support/live-stream";
import { decodeBoard, queryPath } from "../test/support/wire";
import { callsOf, frameCallsForRead, readFor, refreshPath, StandingRefresh, type RefreshReason, type StandingRead } from "./page-model";
import type { BenchUser } from "./seed";
import { cpuPercent, Samples, wallClockMs } from "./stats";
import { serveRequests } from "./worker";

export type ViewerCommand =
  | { command: "open"; viewers: { origin: string; user: BenchUser }[] }
  | { command: "start" }
  | { command: "submitted"; userId: string }
  | { command: "stop" }
  | { command: "close" };

export type ViewersOpenResult = { open: number; failed: number; errors: Record<string, number> };

/** What the viewers did between `start` and `stop`. */
export type ViewerReadsResult = {
  viewers: number;
  seconds: number;
  /**
   * Refreshes that sent a GET, by what started them; those that sent nothing (an answer was on its
   * way); and answers on their way cancelled for an own submit's read.
   */
  refreshes: { frame: number; submit: number; idle: number; skipped: number; cancelled: number };
  /** Calls the GETs carried: "me" after own submits, "around" in every GET of a viewer not on the top. */
  calls: { me: number; around: number };
  /** Frames the viewers' streams received, and those that called for a read (could move their viewer, and did not show it). */
  frames: number;
  movingFrames: number;
  /** Every GET's time to its whole answer, ms (rounded to µs). */
  latencies: number[];
  /** GETs answered 200 with the viewer's own data in every call. */
  answered: number;
  /** GETs that failed: by status and reason, or by what was wrong with the answer. */
  errors: Record<string, number>;
  generatorCpuPercent: number;
};

const TRPC_HEADERS = { "x-trpc-source": "nextjs-react" };
const LIVE_PATH = queryPath("leaderboard.live", { limit: 10 });
const REFRESH_PATHS: Record<StandingRead, string> = { "me+around": refreshPath("me+around"), me: refreshPath("me"), around: refreshPath("around") };
/** A read that takes longer is counted as failed (and no longer holds up its viewer). */
const READ_TIMEOUT_MS = 30_000;
const OPEN_BATCH = 200;
/** Page loads (one refresh each) at a time while the viewers open: they are not measured. */
const LOAD_BATCH = 25;

type ViewerState = {
  user: BenchUser;
  origin: string;
  /** The page's connection for its reads (its stream has one of its own). */
  agent: http.Agent;
  request: http.ClientRequest | null;
  /** The last frame its stream received. */
  lastFrame: Frame | null;
  /** Its score and whether it has a rank (its last "me" or "around"), and its neighbours (its last "around"). */
  score: number;
  ranked: boolean;
  neighbours: Set<string>;
  refresher: StandingRefresh | null;
  /** Its stream ended after it opened (the server closed it, or the connection broke). */
  ended: boolean;
};

const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const viewers = new Map<string, ViewerState>();
/** Board version → its frame (every stream receives the same versions: decoded once). */
const framesByVersion = new Map<string, Frame>();

type Stats = Omit<ViewerReadsResult, "viewers" | "seconds" | "latencies" | "generatorCpuPercent"> & { samples: Samples; cpu: NodeJS.CpuUsage; startedAt: number };
let stats: Stats | null = null;

function frameOf(version: string | undefined, data: string): Frame {
  const cached = version === undefined ? undefined : framesByVersion.get(version);
  if (cached) return cached;
  const { window, period, entries } = decodeBoard(data);
  const frame = { window, period, entries };
  if (version !== undefined) {
    framesByVersion.set(version, frame);
    if (framesByVersion.size > 1_000) framesByVersion.delete(framesByVersion.keys().next().value!);
  }
  return frame;
}

const onTop = (viewer: ViewerState) => viewer.lastFrame?.entries.some((entry) => entry.userId === viewer.user.id) ?? false;

function onFrame(viewer: ViewerState, version: string | undefined, data: string) {
  const frame = frameOf(version, data);
  const reads = frameCallsForRead(viewer.lastFrame, frame, { userId: viewer.user.id, score: viewer.score, ranked: viewer.ranked, neighbours: viewer.neighbours });
  viewer.lastFrame = frame;
  if (!viewer.refresher || !stats) return;
  stats.frames += 1;
  if (!reads) return;
  stats.movingFrames += 1;
  viewer.refresher.changed();
}

/** Opens the viewer's stream; resolves once its first frame arrived. */
function openStream(viewer: ViewerState): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = { accept: "text/event-stream", cookie: viewer.user.cookie };
    viewer.request = http.get(`${viewer.origin}${LIVE_PATH}`, { agent: streamAgent, headers }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        return reject(new Error(`HTTP ${response.statusCode}`));
      }
      const feed = liveEventReader({ onBoard: (id, data) => onFrame(viewer, id, data) });
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        feed(chunk);
        if (viewer.lastFrame !== null) resolve();
      });
      response.on("close", () => {
        viewer.ended = true;
        reject(new Error("closed before the first frame"));
      });
    });
    viewer.request.on("error", (error) => {
      viewer.ended = true;
      reject(error);
    });
  });
}

function get(viewer: ViewerState, path: string, signal?: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${viewer.origin}${path}`, { agent: viewer.agent, headers: { ...TRPC_HEADERS, cookie: viewer.user.cookie }, signal }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    request.setTimeout(READ_TIMEOUT_MS, () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

type Me = { userId: string; score: number; rank: number | null; hidden: boolean };
type Around = { entries: { userId: string; rank: number; score: number }[]; total: number };
type BatchItem = { result?: { data: { json: unknown } }; error?: { json: { data?: { reason?: string } } } };

function fail(what: string) {
  if (stats) stats.errors[what] = (stats.errors[what] ?? 0) + 1;
}

/**
 * One refresh: the calls of `read` in one GET, timed and checked; what it learnt updates the
 * viewer's view of itself. A read cancelled for an own submit's is neither timed nor an error.
 */
async function refresh(viewer: ViewerState, read: StandingRead, signal?: AbortSignal) {
  const calls = callsOf(read);
  if (stats) for (const call of calls) stats.calls[call === "leaderboard.me" ? "me" : "around"] += 1;
  const sentAt = wallClockMs();
  let answer: { status: number; body: string };
  try {
    answer = await get(viewer, REFRESH_PATHS[read], signal);
  } catch (error) {
    if (signal?.aborted) return;
    stats?.samples.add(wallClockMs() - sentAt);
    return fail(`socket ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  stats?.samples.add(wallClockMs() - sentAt);
  let items: BatchItem[];
  try {
    items = JSON.parse(answer.body) as BatchItem[];
  } catch {
    return fail(`${answer.status} not a tRPC answer`);
  }
  const failed = items.find((item) => !item.result);
  if (answer.status !== 200 || failed || items.length !== calls.length) return fail(`${answer.status} ${failed?.error?.json.data?.reason ?? "error"}`);
  const id = viewer.user.id;
  const results = new Map(calls.map((call, index) => [call, items[index]!.result!.data.json]));
  const me = results.get("leaderboard.me") as Me | undefined;
  const around = results.get("leaderboard.around") as Around | undefined;
  if (me && me.userId !== id) return fail("me: another user's standing");
  if (me && me.rank === null) return fail("me: no rank");
  const mine = around?.entries?.find((entry) => entry.userId === id);
  if (around && !mine) return fail("around: the viewer is not among its neighbours");
  // As the page: `me` itself, or patched from my entry among my neighbours.
  if (me) {
    viewer.score = me.score;
    viewer.ranked = !me.hidden && me.rank !== null;
  }
  if (around && mine) {
    viewer.score = mine.score;
    viewer.ranked = true;
    viewer.neighbours = new Set(around.entries.map((entry) => entry.userId).filter((userId) => userId !== id));
  }
  if (stats) stats.answered += 1;
}

async function open(list: { origin: string; user: BenchUser }[]): Promise<ViewersOpenResult> {
  const errors: Record<string, number> = {};
  let failed = 0;
  const opened: ViewerState[] = [];
  for (let done = 0; done < list.length; done += OPEN_BATCH) {
    const batch = list.slice(done, done + OPEN_BATCH).map(({ origin, user }) => {
      // One connection: a refresh is one request, and the page never has two on their way.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const viewer: ViewerState = { user, origin, agent, request: null, lastFrame: null, score: 0, ranked: false, neighbours: new Set(), refresher: null, ended: false };
      viewers.set(user.id, viewer);
      return { viewer, opening: openStream(viewer) };
    });
    for (const { viewer, opening } of batch) {
      try {
        await opening;
        opened.push(viewer);
      } catch (error) {
        failed += 1;
        viewer.request?.destroy();
        viewers.delete(viewer.user.id);
        const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        errors[reason] = (errors[reason] ?? 0) + 1;
      }
    }
  }
  // The page's load reads (not measured): each viewer learns its score, rank and neighbours.
  for (let done = 0; done < opened.length; done += LOAD_BATCH) {
    await Promise.all(opened.slice(done, done + LOAD_BATCH).map((viewer) => refresh(viewer, onTop(viewer) ? "me" : "me+around")));
  }
  const unranked = opened.filter((viewer) => !viewer.ranked).length;
  if (unranked > 0) errors["no rank after the page's first read"] = unranked;
  return { open: viewers.size, failed, errors };
}

/**
 * Reads on. Each viewer in its own phases, as pages open at different moments: its first refresh
 * after a frame may come at a random moment of the first 2 s, its idle one at a random moment of
 * the first minute.
 */
function start() {
  stats = {
    refreshes: { frame: 0, submit: 0, idle: 0, skipped: 0, cancelled: 0 },
    calls: { me: 0, around: 0 },
    frames: 0,
    movingFrames: 0,
    answered: 0,
    errors: {},
    samples: new Samples(),
    cpu: process.cpuUsage(),
    startedAt: performance.now(),
  };
  const counted = stats;
  const startedAt = performance.now();
  for (const viewer of viewers.values()) {
    viewer.refresher = new StandingRefresh(
      (reason) => readFor(reason, { onTop: onTop(viewer), ranked: viewer.ranked }),
      (read, reason: RefreshReason, signal) => {
        counted.refreshes[reason] += 1;
        return refresh(viewer, read, signal);
      },
      { firstAllowedAt: startedAt + Math.random() * STANDING_REFRESH_MS, firstIdleAt: startedAt + Math.random() * STANDING_IDLE_REFRESH_MS },
    );
  }
}

/** Reads off: waits for the refreshes in flight, then reports what was done since `start`. */
async function stop(): Promise<ViewerReadsResult> {
  const refreshers = [...viewers.values()].flatMap((viewer) => viewer.refresher ?? []);
  for (const viewer of viewers.values()) viewer.refresher = null;
  await Promise.all(refreshers.map((refresher) => refresher.stop()));
  if (!stats) throw new Error("stop without start");
  stats.refreshes.skipped = refreshers.reduce((sum, refresher) => sum + refresher.skipped, 0);
  stats.refreshes.cancelled = refreshers.reduce((sum, refresher) => sum + refresher.cancelled, 0);
  const { samples, cpu, startedAt, ...counts } = stats;
  stats = null;
  const elapsedMs = performance.now() - startedAt;
  const ended = [...viewers.values()].filter((viewer) => viewer.ended).length;
  if (ended > 0) counts.errors["viewers' streams ended"] = ended;
  return {
    ...counts,
    viewers: viewers.size,
    seconds: elapsedMs / 1000,
    latencies: samples.toArray(),
    generatorCpuPercent: cpuPercent(process.cpuUsage(cpu), elapsedMs),
  };
}

serveRequests(async (message: ViewerCommand) => {
  switch (message.command) {
    case "open":
      return open(message.viewers);
    case "start":
      start();
      return null;
    case "submitted":
      viewers.get(message.userId)?.refresher?.ownSubmit();
      return null;
    case "stop":
      return stop();
    case "close":
      stats = null;
      for (const viewer of viewers.values()) {
        viewer.refresher = null;
        viewer.request?.destroy();
        viewer.agent.destroy();
      }
      viewers.clear();
      return null;
  }
});
