/**
 * Signed-in viewers of the page (issue 18), a worker process (worker.ts) of their own: each holds
 * the page's one `leaderboard.live` stream with its session cookie, as the browser sends it, and
 * reads its standing and neighbourhood as the page does (page-model.ts): once when the page loads
 * and, while reads are on, at once after its own submit (the orchestrator says which user
 * submitted) and at most every 2 s after a frame its stream received that could move it, each
 * viewer in its own phase, as pages open at different moments. Each refresh is one real GET of
 * the browser's form (`leaderboard.me`, and `leaderboard.around` unless the viewer is on the
 * top shown, batched; `x-trpc-source`; the viewer's cookie) over the viewer's own keep-alive
 * connection; each answer is checked (200, the viewer's own standing, the viewer among its
 * neighbours).
 *
 * Apart from the measured subscribers (subscribers.ts), so that the reads' work on this side
 * never delays the arrivals being timed there; its own CPU is reported.
 */
import http from "node:http";

import { liveEventReader } from "../test/support/live-stream";
import { decodeBoard, queryPath } from "../test/support/wire";
import { couldMoveMe, PAGE_REFRESH_INTERVAL_MS, refreshPath, StandingRefresh, type FrameEntry } from "./page-model";
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
  /** Refreshes that sent a GET, by what started them; and those that sent nothing (an answer was on its way). */
  refreshes: { frame: number; submit: number; skipped: number };
  /** Calls the GETs carried: "me" in each, "around" in those of viewers not on the top. */
  calls: { me: number; around: number };
  /** Frames the viewers' streams received, and those that could move their viewer. */
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
const REFRESH_PATHS = { onTop: refreshPath(true), below: refreshPath(false) };
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
  /** The entries of the last frame its stream received. */
  lastFrame: FrameEntry[] | null;
  /** Whether the viewer has a rank (its last "me"), and its neighbours (its last "around"). */
  ranked: boolean;
  neighbours: Set<string>;
  refresher: StandingRefresh | null;
  /** Its stream ended after it opened (the server closed it, or the connection broke). */
  ended: boolean;
};

const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const viewers = new Map<string, ViewerState>();
/** Board version → its entries (every stream receives the same versions: decoded once). */
const framesByVersion = new Map<string, FrameEntry[]>();

type Stats = Omit<ViewerReadsResult, "viewers" | "seconds" | "latencies" | "generatorCpuPercent"> & { samples: Samples; cpu: NodeJS.CpuUsage; startedAt: number };
let stats: Stats | null = null;

function entriesOf(version: string | undefined, data: string): FrameEntry[] {
  const cached = version === undefined ? undefined : framesByVersion.get(version);
  if (cached) return cached;
  const entries = decodeBoard(data).entries.map(({ userId, score }) => ({ userId, score }));
  if (version !== undefined) {
    framesByVersion.set(version, entries);
    if (framesByVersion.size > 1_000) framesByVersion.delete(framesByVersion.keys().next().value!);
  }
  return entries;
}

function onFrame(viewer: ViewerState, version: string | undefined, data: string) {
  const entries = entriesOf(version, data);
  const moving = couldMoveMe(viewer.lastFrame, entries, { userId: viewer.user.id, ranked: viewer.ranked, neighbours: viewer.neighbours });
  viewer.lastFrame = entries;
  if (!viewer.refresher || !stats) return;
  stats.frames += 1;
  if (!moving) return;
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

function get(viewer: ViewerState, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${viewer.origin}${path}`, { agent: viewer.agent, headers: { ...TRPC_HEADERS, cookie: viewer.user.cookie } }, (response) => {
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
type Around = { entries: { userId: string; rank: number }[]; total: number };
type BatchItem = { result?: { data: { json: unknown } }; error?: { json: { data?: { reason?: string } } } };

function fail(what: string) {
  if (stats) stats.errors[what] = (stats.errors[what] ?? 0) + 1;
}

/**
 * One refresh: "me", and "around" unless the viewer is on the top its stream shows, in one GET,
 * timed and checked; what it learnt updates the viewer's view of itself.
 */
async function refresh(viewer: ViewerState) {
  const onTop = viewer.lastFrame?.some((entry) => entry.userId === viewer.user.id) ?? false;
  if (stats) {
    stats.calls.me += 1;
    if (!onTop) stats.calls.around += 1;
  }
  const sentAt = wallClockMs();
  let answer: { status: number; body: string };
  try {
    answer = await get(viewer, onTop ? REFRESH_PATHS.onTop : REFRESH_PATHS.below);
  } catch (error) {
    return fail(`socket ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    stats?.samples.add(wallClockMs() - sentAt);
  }
  let items: BatchItem[];
  try {
    items = JSON.parse(answer.body) as BatchItem[];
  } catch {
    return fail(`${answer.status} not a tRPC answer`);
  }
  const failed = items.find((item) => !item.result);
  if (answer.status !== 200 || failed || items.length !== (onTop ? 1 : 2)) return fail(`${answer.status} ${failed?.error?.json.data?.reason ?? "error"}`);
  const me = items[0]!.result!.data.json as Me;
  const around = onTop ? null : (items[1]!.result!.data.json as Around);
  const id = viewer.user.id;
  if (me?.userId !== id) return fail("me: another user's standing");
  if (me.rank === null) return fail("me: no rank");
  if (around && !around.entries?.some((entry) => entry.userId === id)) return fail("around: the viewer is not among its neighbours");
  viewer.ranked = !me.hidden && me.rank !== null;
  if (around) viewer.neighbours = new Set(around.entries.map((entry) => entry.userId).filter((userId) => userId !== id));
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
      const viewer: ViewerState = { user, origin, agent, request: null, lastFrame: null, ranked: false, neighbours: new Set(), refresher: null, ended: false };
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
  // The page's load reads (not measured): each viewer learns its rank and neighbours.
  for (let done = 0; done < opened.length; done += LOAD_BATCH) await Promise.all(opened.slice(done, done + LOAD_BATCH).map(refresh));
  const unranked = opened.filter((viewer) => !viewer.ranked).length;
  if (unranked > 0) errors["no rank after the page's first read"] = unranked;
  return { open: viewers.size, failed, errors };
}

/** Reads on: each viewer's first refresh after a frame may come at a random moment of the first interval. */
function start() {
  stats = {
    refreshes: { frame: 0, submit: 0, skipped: 0 },
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
      (reason) => {
        counted.refreshes[reason] += 1;
        return refresh(viewer);
      },
      { firstAllowedAt: startedAt + Math.random() * PAGE_REFRESH_INTERVAL_MS },
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
