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

import { ScoreboardClient } from "../test/support/client";
import type { LiveStream } from "../test/support/live-stream";

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

const client = new ScoreboardClient(BASE, {
  headers: { "user-agent": "live-scoreboard-smoke", ...(bypass ? { "x-vercel-protection-bypass": bypass } : {}) },
  timeoutMs: STEP_TIMEOUT_MS,
});

let stepCount = 0;
const runStarted = performance.now();
let live: LiveStream | null = null;

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
    live?.close();
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
    const response = await client.request("/api/health");
    const body = (await response.json().catch(() => null)) as {
      status?: string;
      db?: { status: string; latencyMs: number };
      redis?: { status: string; latencyMs: number };
    } | null;
    expect(response.status === 200 && body?.status === "ok", `HTTP ${response.status} ${JSON.stringify(body)}`);
    return body;
  },
  (body) => `db ${body.db?.status} ${body.db?.latencyMs} ms, redis ${body.redis?.status} ${body.redis?.latencyMs} ms`,
);

const username = `smoke_${randomBytes(5).toString("hex")}`;
const password = randomBytes(18).toString("base64url");
await step("sign up (next-auth)", () => client.signIn({ username, password, intent: "signup" }), () => username);

const me = await step(
  "session",
  async () => {
    const user = await client.currentUser();
    expect(user?.username === username, `the session is ${JSON.stringify(user)}`);
    return user;
  },
  (user) => `user ${user.id}`,
);

await step(
  "read the board",
  () => client.query("leaderboard.top", { limit: 10 }),
  (board) => `leaderboard.top: ${board.entries.length} entries, version ${board.version}`,
);

const first = await step(
  "open the live stream",
  async () => {
    live = await client.live({ limit: LIVE_LIMIT });
    return (await live.until((board, id) => ({ board, id }), STEP_TIMEOUT_MS)).value;
  },
  ({ board, id }) => `leaderboard.live (SSE): first snapshot at once, id ${id}, ${board.entries.length} entries`,
);

const started = await step(
  `start ${ACTION_TYPE}`,
  async () => ({ action: await client.mutate("action.start", { actionType: ACTION_TYPE }), answeredAt: performance.now() }),
  ({ action }) => `action.start: ${action.actionId}`,
);
// The server refuses a submit before the action's minCompleteAt (TOO_FAST): that instant is what
// the submit waits for. It is on the server's clock, so it is placed on this one by the action's
// own minimum (minCompleteAt − issuedAt) counted from the start's answer, which the server sent
// after issuedAt: no margin is needed, and a skewed clock here cannot make the submit early.
const minCompleteAt = started.answeredAt + (started.action.minCompleteAt.getTime() - started.action.issuedAt.getTime());
const wait = minCompleteAt - performance.now();
if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

let submitSentAt = 0;
const submitted = await step(
  "submit it",
  async () => {
    submitSentAt = performance.now();
    const result = await client.mutate("score.submit", { actionId: started.action.actionId, token: started.action.token });
    expect(result.userId === me.id && result.delta > 0 && !result.replayed, `unexpected result ${JSON.stringify(result)}`);
    return result;
  },
  (result) => `score.submit: +${result.delta} → ${result.score}, rank ${result.rank ?? "-"}`,
);

await step(
  "see the change live",
  () =>
    live!.until((board, id) => {
      const mine = board.entries.find((entry) => entry.userId === me.id);
      return mine?.score === submitted.score ? { id, mine } : undefined;
    }, STEP_TIMEOUT_MS),
  ({ value: { id, mine }, at }) =>
    `leaderboard.live: id ${first.id} → ${id}, rank ${mine.rank}; arrived ${Math.round(at - submitSentAt)} ms after the submit was sent`,
);
live!.close();

await step(
  "read the board again",
  async () => {
    const board = await client.query("leaderboard.top", { limit: LIVE_LIMIT });
    const mine = board.entries.find((entry) => entry.userId === me.id);
    expect(mine?.score === submitted.score, `the board shows ${mine ? `score ${mine.score}` : "no entry"} for ${username}`);
    return { board, mine };
  },
  ({ board, mine }) => `leaderboard.top: rank ${mine.rank} of ${board.entries.length}, version ${board.version}`,
);

console.log(`✓ smoke test passed: ${stepCount} steps in ${ms(runStarted)} (${BASE})`);
