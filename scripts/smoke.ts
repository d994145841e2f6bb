/**
 * `npm run smoke -- <base-url>`: the end-to-end smoke test for a running deployment — a fresh
 * Vercel preview, or a local production build (`npm run smoke:local` does that, and CI runs it).
 *
 * Over plain HTTP, as a browser would: checks /api/health, signs up a fresh user (next-auth's
 * credentials flow), reads the board, opens the live stream the way tRPC's httpSubscriptionLink
 * does (SSE), starts and submits an action, and waits for the change on the stream and on the
 * board. Each step prints its latency; the first failure ends the run with exit code 1.
 *
 * Options: --action <type> (default DAILY_BONUS: 50 points, no wait; a user gets one per day),
 * --timeout <ms> per step (default 15000). A preview behind Vercel Deployment Protection needs
 * VERCEL_AUTOMATION_BYPASS_SECRET (Project Settings → Deployment Protection → Protection Bypass
 * for Automation); it is sent as the x-vercel-protection-bypass header.
 *
 * Note: the user it creates stays, with the action's points, like any other player.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { action: { type: "string", default: "DAILY_BONUS" }, timeout: { type: "string", default: "15000" } },
});
const baseArg = positionals[0] ?? process.env.SMOKE_BASE_URL;
if (!baseArg) {
  console.error("usage: npm run smoke -- <base-url> [--action DAILY_BONUS] [--timeout 15000]");
  process.exit(2);
}
const BASE = new URL(baseArg).origin;
const STEP_TIMEOUT_MS = Number(values.timeout);
const ACTION_TYPE = values.action!;
const LIVE_LIMIT = 100;
const bypass = process.env.VERCEL_AUTOMATION_BYPASS_SECRET;

type TrpcError = { message: string; data?: { code?: string; reason?: string; httpStatus?: number } };
type Board = { entries: { rank: number; userId: string; displayName: string; score: number }[]; version: number };
type Started = { actionId: string; token: string; actionType: string; issuedAt: string; minCompleteAt: string };
type Submitted = { userId: string; score: number; delta: number; rank: number | null; replayed: boolean };

/** Cookies by name, as a browser on this origin would keep them. */
const jar = new Map<string, string>();

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
  if (bypass) headers.set("x-vercel-protection-bypass", bypass);
  headers.set("user-agent", "live-scoreboard-smoke");
  const response = await fetch(`${BASE}${path}`, {
    ...init,
    headers,
    redirect: "manual",
    signal: init.signal ?? AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair = "", ...attributes] = line.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute));
    if (expired) jar.delete(name);
    else jar.set(name, pair.slice(eq + 1).trim());
  }
  return response;
}

/** A tRPC query or mutation as @trpc/client sends it (superjson envelope, no batching). */
async function trpc<T>(kind: "query" | "mutation", path: string, input?: unknown): Promise<T> {
  const envelope = JSON.stringify({ json: input ?? null });
  const response =
    kind === "query"
      ? await request(`/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(envelope)}`}`)
      : await request(`/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: envelope });
  const body = (await response.json().catch(() => null)) as { result?: { data: { json: T } }; error?: { json: TrpcError } } | null;
  if (body?.error) {
    const { message, data } = body.error.json;
    throw new Error(`${path}: HTTP ${response.status} ${data?.reason ?? data?.code ?? ""} ${message}`.replace(/\s+/g, " "));
  }
  if (!response.ok || !body?.result) throw new Error(`${path}: HTTP ${response.status}, not a tRPC answer`);
  return body.result.data.json;
}

/**
 * One tRPC SSE stream, read the way httpSubscriptionLink's EventSource reads it: `data:`/`id:`
 * events carry snapshots; `connected`, `ping` and comments are bookkeeping. Read continuously
 * from the moment it opens, so every snapshot has its true arrival time.
 */
class LiveStream {
  private readonly abort = new AbortController();
  private readonly snapshots: { board: Board; id: string | undefined; at: number }[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  async open(input: unknown) {
    const query = encodeURIComponent(JSON.stringify({ json: input }));
    const response = await request(`/api/trpc/leaderboard.live?input=${query}`, {
      headers: { accept: "text/event-stream" },
      signal: this.abort.signal,
    });
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !type.startsWith("text/event-stream")) {
      throw new Error(`leaderboard.live: HTTP ${response.status} ${type || "(no content type)"}`);
    }
    void this.pump(response.body!.pipeThrough(new TextDecoderStream()).getReader());
  }

  private async pump(reader: ReadableStreamDefaultReader<string>) {
    let buffer = "";
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error("the live stream closed");
        buffer += chunk.value.replaceAll("\r\n", "\n");
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.event === "serialized-error") throw new Error(`leaderboard.live sent an error: ${event.data}`);
          if (event.event === "return") throw new Error("leaderboard.live ended the stream");
          if (event.event || event.data === undefined) continue;
          this.snapshots.push({ board: (JSON.parse(event.data) as { json: Board }).json, id: event.id, at: performance.now() });
          this.wake?.();
        }
      }
    } catch (error) {
      this.failure = this.abort.signal.aborted ? new Error("the live stream was closed") : (error as Error);
      this.wake?.();
    }
  }

  /** The first snapshot (from the start of the stream) that `accept` takes, waiting up to `timeoutMs`. */
  async until<T>(accept: (board: Board, id: string | undefined) => T | undefined, timeoutMs: number) {
    const deadline = performance.now() + timeoutMs;
    for (let seen = 0; ; ) {
      for (; seen < this.snapshots.length; seen += 1) {
        const { board, id, at } = this.snapshots[seen]!;
        const value = accept(board, id);
        if (value !== undefined) return { value, at };
      }
      if (this.failure) throw this.failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching live update within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.wake = null;
    }
  }

  close() {
    this.abort.abort();
  }
}

function parseEvent(block: string) {
  const event: { event?: string; data?: string; id?: string } = {};
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.event = value;
    else if (field === "data") event.data = event.data === undefined ? value : `${event.data}\n${value}`;
    else if (field === "id") event.id = value;
  }
  return event;
}

let stepCount = 0;
const runStarted = performance.now();
const live = new LiveStream();

/** Runs one step: prints ✓ with its latency and detail, or ✗ and ends the run. */
async function step<T>(name: string, run: () => Promise<T>, detail: (value: T) => string = () => ""): Promise<T> {
  const started = performance.now();
  try {
    const value = await run();
    stepCount += 1;
    console.log(`  ✓ ${name.padEnd(26)} ${ms(started).padStart(8)}  ${detail(value)}`.trimEnd());
    return value;
  } catch (error) {
    const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
    const why = cause ? ` (${cause.code ?? cause.message})` : "";
    console.log(`  ✗ ${name.padEnd(26)} ${ms(started).padStart(8)}  ${(error as Error).message}${why}`);
    console.log(`✗ smoke test FAILED at "${name}" (${BASE})`);
    live.close();
    process.exit(1);
  }
}

function ms(since: number) {
  return `${Math.round(performance.now() - since)} ms`;
}

function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

console.log(`smoke test against ${BASE}${bypass ? " (with the deployment protection bypass)" : ""}`);

await step(
  "GET /api/health",
  async () => {
    const response = await request("/api/health");
    const body = (await response.json().catch(() => null)) as {
      status?: string;
      db?: { status: string; latencyMs: number; error?: string };
      redis?: { status: string; latencyMs: number; error?: string };
    } | null;
    expect(response.status === 200 && body?.status === "ok", `HTTP ${response.status} ${JSON.stringify(body)}`);
    return body;
  },
  (body) => `db ${body.db?.status} ${body.db?.latencyMs} ms, redis ${body.redis?.status} ${body.redis?.latencyMs} ms`,
);

const username = `smoke_${randomBytes(5).toString("hex")}`;
const password = randomBytes(18).toString("base64url");
await step(
  "sign up (next-auth)",
  async () => {
    const csrf = await request("/api/auth/csrf");
    const { csrfToken } = (await csrf.json()) as { csrfToken?: string };
    expect(csrf.ok && csrfToken, `GET /api/auth/csrf: HTTP ${csrf.status}`);
    const response = await request("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken, username, password, intent: "signup", callbackUrl: BASE, json: "true" }),
    });
    const body = (await response.json().catch(() => null)) as { url?: string } | null;
    const error = body?.url ? new URL(body.url, BASE).searchParams.get("error") : null;
    expect(response.ok && !error, `HTTP ${response.status}, ${error ? `error=${error}` : JSON.stringify(body)}`);
    expect([...jar.keys()].some((name) => name.endsWith("next-auth.session-token")), "no session cookie came back");
  },
  () => username,
);

const me = await step(
  "session",
  async () => {
    const response = await request("/api/auth/session");
    const session = (await response.json()) as { user?: { id: string; username: string } };
    expect(session.user?.username === username, `the session is ${JSON.stringify(session)}`);
    return session.user;
  },
  (user) => `user ${user.id}`,
);

await step(
  "read the board",
  () => trpc<Board>("query", "leaderboard.top", { limit: 10 }),
  (board) => `leaderboard.top: ${board.entries.length} entries, version ${board.version}`,
);

const first = await step(
  "open the live stream",
  async () => {
    await live.open({ limit: LIVE_LIMIT });
    return (await live.until((board, id) => ({ board, id }), STEP_TIMEOUT_MS)).value;
  },
  ({ board, id }) => `leaderboard.live (SSE): first snapshot at once, id ${id}, ${board.entries.length} entries`,
);

const started = await step(
  `start ${ACTION_TYPE}`,
  () => trpc<Started>("mutation", "action.start", { actionType: ACTION_TYPE }),
  (action) => `action.start: ${action.actionId}`,
);
// The server refuses a submit before minCompleteAt; wait exactly the action's own minimum.
const wait = Date.parse(started.minCompleteAt) - Date.parse(started.issuedAt);
if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 100));

let submitSentAt = 0;
const submitted = await step(
  "submit it",
  async () => {
    submitSentAt = performance.now();
    const result = await trpc<Submitted>("mutation", "score.submit", { actionId: started.actionId, token: started.token });
    expect(result.userId === me.id && result.delta > 0 && !result.replayed, `unexpected result ${JSON.stringify(result)}`);
    return result;
  },
  (result) => `score.submit: +${result.delta} → ${result.score}, rank ${result.rank ?? "-"}`,
);

await step(
  "see the change live",
  () =>
    live.until((board, id) => {
      const mine = board.entries.find((entry) => entry.userId === me.id);
      return mine?.score === submitted.score ? { id, mine } : undefined;
    }, STEP_TIMEOUT_MS),
  ({ value: { id, mine }, at }) =>
    `leaderboard.live: id ${first.id} → ${id}, rank ${mine.rank}; arrived ${Math.round(at - submitSentAt)} ms after the submit was sent`,
);
live.close();

await step(
  "read the board again",
  async () => {
    const board = await trpc<Board>("query", "leaderboard.top", { limit: LIVE_LIMIT });
    const mine = board.entries.find((entry) => entry.userId === me.id);
    expect(mine?.score === submitted.score, `the board shows ${mine ? `score ${mine.score}` : "no entry"} for ${username}`);
    return { board, mine };
  },
  ({ board, mine }) => `leaderboard.top: rank ${mine.rank} of ${board.entries.length}, version ${board.version}`,
);

console.log(`✓ smoke test passed: ${stepCount} steps in ${ms(runStarted)} (${BASE})`);
