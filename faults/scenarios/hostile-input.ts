/**
 * Hostile input over real HTTP against `npm start` with the spec's default rate limits:
 * property-based fuzzing of every procedure (the arbitraries of src/server/api/fuzz.test.ts, now
 * through Next.js's own HTTP stack), batches and raw HTTP abuse → never a 5xx, never a state
 * change; tampered sessions → UNAUTHORIZED; forged, expired, replayed, cross-user and too-fast
 * action tokens → the spec's reasons; the admin console and every admin.* procedure refused to
 * normal users; rate limits hold at exactly their configured numbers, failed sign-ins per username
 * from many client addresses included; sign-in and sign-up never show a database error; errors
 * reveal nothing (health in fixed words, metrics only to their bearer, NUL in the admin search a 400);
 * the bounds on one request's work (batch size, body size, superjson metadata, live streams per
 * client IP) hold; every answer carries the security headers.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { maxHeaderSize } from "node:http";

import fc from "fast-check";
import superjson from "superjson";
import { Agent, fetch as undiciFetch } from "undici";

import { MAX_BATCH_CALLS, MAX_BODY_BYTES } from "../../src/lib/request-limits";
import { ACTION_RULES } from "../../src/server/scoring/rules";
import { issueActionToken, actionTokenKey } from "../../src/server/scoring/token";
import { grantAdminWithCli } from "../../test/support/admin-cli";
import { ScoreboardClient, type Credentials } from "../../test/support/client";
import type { LiveStream } from "../../test/support/live-stream";
import { postUntilAnswered } from "../../test/support/raw-http";
import { decodeReply, queryPath } from "../../test/support/wire";
import { ALLOWED_REASONS, firstLiveEvent, hostile, invalidWire, MUTATIONS, READS, shaped, wire } from "../../test/support/fuzz-inputs";
import { SESSION_COOKIE, sessionToken } from "../../test/support/session-cookie";
import { STRICT_LIMITS } from "../apps";
import { healthAnswerProblem, SIGNAL_TIMEOUT_MS, type Harness, type Scenario } from "../harness";
import type { CallOutcome } from "../ledger";
import { waitUntilCompletable, type Player, type StartedAction } from "../load";
import { CLIENT_TIMEOUT_MS, clientWithToken, insertUsers, type FaultUser } from "../users";

const FUZZ_RUNS = 25;
/** Refusals Node's HTTP server (not the app) makes before any handler runs; their bodies are not JSON. */
const TRANSPORT_REFUSALS = new Set([400, 413, 414, 431]);
/** Methods the route does not export: Next.js answers them itself (405, or 204 for OPTIONS/HEAD), with no body. */
const NEXT_ANSWERED_METHODS = new Set(["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]);
/**
 * Node's HTTP parser answers a request head over `maxHeaderSize` with 431 and destroys the
 * socket; when the client is still sending, the reset can reach it before the 431 does. Such a
 * request was refused by Node itself (no app code ran), so a reset is its answer. The margin
 * covers the headers fetch adds (host, accept, user agent, …).
 */
const HEADER_MARGIN_BYTES = 512;
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

function refusedByHeaderLimit(caller: Caller, path: string, error: unknown) {
  const code = ((error as Error).cause as { code?: string } | undefined)?.code ?? "";
  const head = Buffer.byteLength(path) + Buffer.byteLength(caller.cookie) + HEADER_MARGIN_BYTES;
  return RESET_CODES.has(code) && head > maxHeaderSize;
}

type Expectation = { status: number; reason: string };

export const hostileInput: Scenario = {
  name: "hostile-input",
  title: "fuzzed inputs, batches, raw HTTP, tampered sessions and tokens, admin access, exact rate limits",
  async run(harness) {
    const app = await harness.apps.get("strict");
    const failures: string[] = [];
    const notes: string[] = [];
    const seed = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const context = await setUp(harness, app.url, app.port);
    const counts = { fuzz: 0, bounds: 0, sessions: 0, tokens: 0, admin: 0, rateLimits: 0, headers: 0, disclosure: 0, signIns: 0 };

    const before = await stateSnapshot(harness);
    counts.fuzz = await fuzzEveryProcedure(harness, context, seed, failures);
    const after = await stateSnapshot(harness);
    if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`hostile input changed state: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    counts.bounds = await boundedWork(harness, context, failures);
    const afterBounds = await stateSnapshot(harness);
    if (JSON.stringify(afterBounds) !== JSON.stringify(after)) failures.push(`refused oversized requests changed state: ${JSON.stringify(after)} → ${JSON.stringify(afterBounds)}`);

    counts.sessions = await tamperedSessions(harness, context, failures);
    counts.sessions += await sessionCookieByItsOwnName(harness, context, failures);
    counts.headers = await securityHeadersEverywhere(context, failures);
    counts.admin = await adminRefusals(harness, context, failures);
    counts.tokens = await actionTokens(harness, context, failures, notes);
    counts.rateLimits = await rateLimits(harness, context, failures, notes);
    counts.disclosure = await errorDisclosure(harness, context, failures);
    counts.signIns = await signIns(harness, context, failures, notes);

    return {
      load: `sequential hostile requests against 1 instance with the default limits (RATE_LIMIT_USER ${STRICT_LIMITS.user.limit}/${STRICT_LIMITS.user.windowMs / 1000}s, RATE_LIMIT_AUTH ${STRICT_LIMITS.auth.limit}/${STRICT_LIMITS.auth.windowMs / 1000}s, RATE_LIMIT_SIGNIN_USER ${STRICT_LIMITS.signInUser.limit}/${STRICT_LIMITS.signInUser.windowMs / 60_000}m, LIVE_STREAMS_PER_IP ${STRICT_LIMITS.liveStreamsPerIp})`,
      faults: `${counts.fuzz} fuzzed/raw requests (fast-check seed ${seed}: every procedure × anonymous/user/admin, batches, bad JSON, wrong methods, 2 MB bodies, live streams with bad input or a forged last event id), ${counts.bounds} probes of the bounds on one request (batches over ${MAX_BATCH_CALLS} calls, bodies over 64 KiB declared/chunked/unending on tRPC and next-auth, superjson metadata, ${STRICT_LIMITS.liveStreamsPerIp + 1} live streams from one IP), ${counts.sessions} with tampered sessions, ${counts.admin} admin-access probes, ${counts.tokens} with forged/expired/replayed/cross-user/too-fast tokens, ${counts.rateLimits} rate-limit probes, ${counts.headers} answers checked for security headers, ${counts.disclosure} probes of what health, metrics and errors reveal, ${counts.signIns} sign-ins and sign-ups (failed sign-ins per username from many addresses, hostile payloads, a failing insert)`,
      failures,
      notes,
    };
  },
};

/** A client and what it sends as its Cookie header (to tell Node's header-size refusals apart). */
type Caller = { name: string; client: ScoreboardClient; user: FaultUser | null; cookie: string };

type Context = {
  base: string;
  /** The instance's port, to reach it from the other loopback address too. */
  port: number;
  player: FaultUser;
  other: FaultUser;
  admin: FaultUser;
  callers: [anonymous: Caller, user: Caller, admin: Caller];
};

async function setUp(harness: Harness, base: string, port: number): Promise<Context> {
  const [player, other, inserted] = (await insertUsers(harness.sql, "hostile", 3)) as [FaultUser, FaultUser, FaultUser];
  // Made an admin the only way there is: the operator's command.
  await grantAdminWithCli(inserted.username, { DATABASE_URL: harness.cluster.appEnv.DATABASE_URL });
  const admin: FaultUser = { ...inserted, role: "admin" };
  await harness.players("hostile_warmup", 1, base); // puts the inserted users on the board too
  const secret = harness.cluster.authSecret;
  const signedIn = async (name: string, user: FaultUser): Promise<Caller> => {
    const token = await sessionToken(user, secret);
    return { name, client: clientWithToken(base, token), user, cookie: `${SESSION_COOKIE}=${token}` };
  };
  return {
    base,
    port,
    player,
    other,
    admin,
    callers: [{ name: "anonymous", client: harness.anonymous(base), user: null, cookie: "" }, await signedIn("user", player), await signedIn("admin", admin)],
  };
}

/** What a call could change: every score, audit row, refusal, moderation row and profile. */
async function stateSnapshot(harness: Harness) {
  const [row] = await harness.sql<{ scores: string; audit: number; refusals: number; moderation: number; profiles: string }[]>`
    select
      (select coalesce(sum(score), 0)::text from scores) as scores,
      (select count(*)::int from score_actions) as audit,
      (select count(*)::int from action_refusals) as refusals,
      (select count(*)::int from moderation_actions) as moderation,
      (select md5(coalesce(string_agg(id || display_name || hidden || banned || role, ',' order by id), '')) from users) as profiles`;
  return row;
}

/** One raw request, counted; checks the answer is < 500 and, unless Node refused it itself, JSON with allowed reasons. */
async function send(harness: Harness, caller: Caller, label: string, path: string, init: RequestInit, failures: string[]) {
  let response: Response;
  try {
    response = await caller.client.request(path, init);
  } catch (error) {
    if (refusedByHeaderLimit(caller, path, error)) {
      harness.ledger.tally.count(`${label} 431 (reset)`);
      return null;
    }
    harness.ledger.tally.count(`${label} unanswered`);
    harness.ledger.tally.unanswered += 1;
    failures.push(`${label} ${path.slice(0, 120)}: no answer (${(error as Error).message})`);
    return null;
  }
  const text = await response.text();
  harness.ledger.tally.count(`${label} ${response.status}`);
  const where = `${label} ${init.method ?? "GET"} ${path.slice(0, 100)} → ${response.status} ${text.slice(0, 200)}`;
  if (response.status >= 500) {
    harness.ledger.tally.serverErrors += 1;
    failures.push(where);
    return null;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    if (!TRANSPORT_REFUSALS.has(response.status) && !NEXT_ANSWERED_METHODS.has(init.method ?? "GET")) failures.push(`${where}: not JSON`);
    return null;
  }
  const items = Array.isArray(body) ? body : [body];
  const reasons: (string | null)[] = [];
  for (const item of items as { error?: { json?: { data?: { reason?: string; httpStatus?: number } } } }[]) {
    const data = item?.error?.json?.data;
    if (!item?.error) {
      reasons.push(null);
      continue;
    }
    if (!data?.reason || !ALLOWED_REASONS.has(data.reason) || (data.httpStatus ?? 0) >= 500) failures.push(`${where}: error item ${JSON.stringify(data)}`);
    reasons.push(data?.reason ?? "(none)");
  }
  return { status: response.status, reasons };
}

async function fuzzEveryProcedure(harness: Harness, context: Context, seed: number, failures: string[]) {
  const before = harness.ledger.tally.total;
  const post = (body: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/json" }, body });
  const query = (path: string, text: string | undefined) => `/api/trpc/${path}${text === undefined ? "" : `?input=${encodeURIComponent(text)}`}`;
  // The properties record failures instead of throwing, so one run reports every failing input.
  const settings = { numRuns: FUZZ_RUNS, seed };

  for (const caller of context.callers) {
    for (const spec of READS) {
      await fc.assert(
        fc.asyncProperty(wire(fc.oneof(hostile, shaped(spec.fields()))), async ({ text }) => {
          await send(harness, caller, "fuzz", query(spec.path, text), {}, failures);
        }),
        settings,
      );
    }
    for (const spec of MUTATIONS) {
      // Invalid by construction (and checked against the procedure's schema): refused before anything runs, whoever asks.
      const expected: Expectation =
        caller.user === null
          ? { status: 401, reason: "UNAUTHENTICATED" }
          : spec.admin && caller.user.role !== "admin"
            ? { status: 403, reason: "NOT_ADMIN" }
            : { status: 400, reason: "INVALID_INPUT" };
      await fc.assert(
        fc.asyncProperty(invalidWire(spec, context.other.id), async ({ text }) => {
          const reply = await send(harness, caller, "fuzz", `/api/trpc/${spec.path}`, post(text), failures);
          if (reply && (reply.status !== expected.status || reply.reasons[0] !== expected.reason) && !TRANSPORT_REFUSALS.has(reply.status)) {
            failures.push(`${caller.name} ${spec.path} ${text.slice(0, 120)}: ${reply.status} ${reply.reasons[0]}, expected ${expected.status} ${expected.reason}`);
          }
        }),
        settings,
      );
    }
  }

  // Batches: several procedures in one request, each with hostile input.
  const [, user, admin] = context.callers;
  const batchOf = (paths: string[]) =>
    fc.tuple(fc.shuffledSubarray(paths, { minLength: 1, maxLength: 4 }), fc.array(hostile, { minLength: 4, maxLength: 4 })).map(([chosen, inputs]) => ({
      path: chosen.join(","),
      input: JSON.stringify(Object.fromEntries(chosen.map((_, index) => [index, { json: inputs[index] ?? null }]))),
    }));
  await fc.assert(
    fc.asyncProperty(batchOf(READS.map((spec) => spec.path)), async ({ path, input }) => {
      await send(harness, admin, "batch", `/api/trpc/${path}?batch=1&input=${encodeURIComponent(input)}`, {}, failures);
    }),
    settings,
  );
  await fc.assert(
    fc.asyncProperty(
      fc.shuffledSubarray(MUTATIONS, { minLength: 1, maxLength: 4 }).chain((specs) =>
        fc.tuple(fc.constant(specs.map((spec) => spec.path).join(",")), fc.tuple(...specs.map((spec) => invalidWire(spec, context.other.id)))),
      ),
      async ([path, envelopes]) => {
        // Each item is one envelope as checked against its procedure's schema.
        const body = `{${envelopes.map(({ text }, index) => `"${index}":${text}`).join(",")}}`;
        await send(harness, user, "batch", `/api/trpc/${path}?batch=1`, post(body), failures);
      },
    ),
    settings,
  );

  // Raw HTTP: bad JSON, wrong content types and methods, unknown procedures, oversized bodies.
  const rawBodies = ["{", '{"json":', "", "null", "[]", "\u0000", "\ufeff{}", '{"json":{"actionType":"COMPLETE_TASK"}}garbage', '{"__proto__":{"json":{"actionType":"COMPLETE_TASK"}}}'];
  for (const path of MUTATIONS.map((spec) => spec.path)) {
    for (const body of rawBodies) await send(harness, user, "raw", `/api/trpc/${path}`, post(body), failures);
    await send(harness, user, "raw", `/api/trpc/${path}`, { method: "POST", headers: { "content-type": "text/plain" }, body: "actionType=COMPLETE_TASK" }, failures);
  }
  for (const method of ["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]) {
    for (const path of ["score.submit", "leaderboard.top", "admin.adjustScore"]) {
      await send(harness, admin, "raw", `/api/trpc/${path}`, { method, ...(method === "HEAD" || method === "OPTIONS" ? {} : { body: '{"json":{}}' }) }, failures);
    }
  }
  for (const path of ["nope", "__proto__", "constructor.prototype", "score.submit.x", "a".repeat(3_000)]) {
    await send(harness, user, "raw", `/api/trpc/${path}`, post('{"json":{}}'), failures);
  }
  const huge = "x".repeat(2 * 1024 * 1024);
  for (const body of [JSON.stringify({ json: { actionId: huge, token: "t" } }), JSON.stringify({ json: { displayName: huge } }), `{"json":${"[".repeat(100_000)}${"]".repeat(100_000)}}`]) {
    for (const path of ["score.submit", "account.update"]) await send(harness, user, "raw", `/api/trpc/${path}`, post(body), failures);
  }
  await send(harness, user, "raw", `/api/trpc/leaderboard.top?input=${"%7B".repeat(20_000)}`, {}, failures);
  await hostileLiveStreams(harness, user.client, failures);
  return harness.ledger.tally.total - before;
}

/**
 * leaderboard.live over SSE: invalid input is refused with an error (never a 5xx, never a stream of
 * boards), and whatever last event id a client claims, it gets the current board.
 */
async function hostileLiveStreams(harness: Harness, client: ScoreboardClient, failures: string[]) {
  for (const input of [{ limit: 0 }, { limit: "x" }, { limit: 1e308 }, { lastEventId: "y".repeat(1_000) }, "nope", [1], null]) {
    const response = await client.request(`/api/trpc/leaderboard.live?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, {
      headers: { accept: "text/event-stream" },
      signal: AbortSignal.timeout(SIGNAL_TIMEOUT_MS),
    });
    harness.ledger.tally.count(`live ${response.status}`);
    if (response.status >= 500) harness.ledger.tally.serverErrors += 1;
    // A stream (200) must carry the error as its first event; any other answer is the error itself.
    let first = "an error answer";
    if (response.ok) first = await firstLiveEvent(response);
    else await response.arrayBuffer();
    if (response.status >= 500 || !first.startsWith("an error")) failures.push(`leaderboard.live ${JSON.stringify(input)}: ${response.status}, ${first}`);
  }
  for (const lastEventId of ["-1", "0", "NaN", "99999999999999999999", "__proto__", "constructor", "' or 1=1 --", "1e3"]) {
    try {
      const stream = await client.live({ limit: 5 }, { lastEventId });
      try {
        await stream.until((board) => board, SIGNAL_TIMEOUT_MS);
      } finally {
        stream.close();
      }
      harness.ledger.tally.count("live resumed");
    } catch (error) {
      harness.ledger.tally.count("live failed");
      failures.push(`leaderboard.live resumed from ${JSON.stringify(lastEventId)}: ${(error as Error).message}`);
    }
  }
}

/**
 * What errors reveal: /api/health in fixed words (the outage scenarios see it with a service
 * down), /api/metrics only to METRICS_TOKEN's bearer (the suite's instances all have one: see
 * cluster.ts), and a NUL in the admin search refused as input, not failing in Postgres.
 */
async function errorDisclosure(harness: Harness, context: Context, failures: string[]) {
  const before = harness.ledger.tally.total;
  const health = await healthAnswerProblem(context.base, { httpStatus: 200, down: null });
  harness.ledger.tally.count(`health ${health ? "bad" : "ok"}`);
  if (health) failures.push(health);

  const token = harness.cluster.metricsToken;
  for (const [what, authorization] of [
    ["no credentials", undefined],
    ["another bearer", `Bearer ${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`],
    ["the token as Basic", `Basic ${token}`],
    ["the bare token", token],
  ] as const) {
    const response = await fetch(`${context.base}/api/metrics`, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    const text = await response.text();
    harness.ledger.tally.count(`metrics ${response.status}`);
    if (response.status !== 401 || text.includes("scoreboard_")) failures.push(`GET /api/metrics with ${what}: ${response.status}, expected 401 and no metrics`);
  }
  const allowed = await fetch(`${context.base}/api/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
  const metricsText = await allowed.text();
  harness.ledger.tally.count(`metrics ${allowed.status}`);
  if (allowed.status !== 200 || !metricsText.includes("scoreboard_")) failures.push(`GET /api/metrics with METRICS_TOKEN's bearer: ${allowed.status}, expected 200 with the metrics`);

  const admin = context.callers[2];
  for (const input of [{ query: "ab\u0000" }, { query: "\u0000" }, { cursor: "\u0000" }]) {
    expectRefused(await harness.ledger.call("admin.users NUL", () => admin.client.query("admin.users", input)), { status: 400, reason: "INVALID_INPUT" }, `admin.users ${JSON.stringify(input)} as the admin`, failures);
  }
  return harness.ledger.tally.total - before;
}

/**
 * Bounded work per request (PRODUCT.md, Invariants): a batch over MAX_BATCH_CALLS is 400
 * INVALID_INPUT; a body over 64 KiB is 413 on the tRPC and next-auth routes, answered before the
 * body ends; superjson metadata is 400 INVALID_INPUT without reviving it; live streams above
 * LIVE_STREAMS_PER_IP from one client are 429 RATE_LIMITED, and a closed one frees its slot.
 */
async function boundedWork(harness: Harness, context: Context, failures: string[]) {
  const before = harness.ledger.tally.total;
  const [anonymous, user] = context.callers;
  const json = { "content-type": "application/json" };
  /** A raw answer, counted, as `status reason` (the tRPC reason, or the JSON `error` of next-auth's refusal). */
  const outcome = async (label: string, answer: Promise<{ status: number; text: string }>) => {
    try {
      const { status, text } = await answer;
      harness.ledger.tally.count(`${label} ${status}`);
      if (status >= 500) harness.ledger.tally.serverErrors += 1;
      let reason: string | undefined;
      try {
        const body = JSON.parse(text) as { error?: unknown };
        if (typeof body.error === "string") reason = body.error;
        else {
          const reply = decodeReply(status, text);
          reason = reply.ok ? "ok" : reply.error.data?.reason;
        }
      } catch {
        reason = "(not JSON)";
      }
      return `${status} ${reason}`;
    } catch (error) {
      harness.ledger.tally.count(`${label} unanswered`);
      return `no answer (${(error as Error).message})`;
    }
  };
  const fetched = (client: ScoreboardClient, path: string, init?: RequestInit) =>
    client.request(path, init).then(async (response) => ({ status: response.status, text: await response.text() }));
  const check = (what: string, got: string, expected: string) => {
    if (got !== expected) failures.push(`${what}: ${got}, expected ${expected}`);
  };

  // Batches: one call over the limit, by GET (the board's own answers included) and by POST.
  const calls = MAX_BATCH_CALLS + 1;
  const batchInput = (input: unknown) => JSON.stringify(Object.fromEntries(Array.from({ length: calls }, (_, index) => [index, superjson.serialize(input)])));
  const batchPath = (path: string) => `/api/trpc/${Array<string>(calls).fill(path).join(",")}?batch=1`;
  check(`GET batch of ${calls} × leaderboard.top`, await outcome("bounds batch", fetched(anonymous.client, `${batchPath("leaderboard.top")}&input=${encodeURIComponent(batchInput({ limit: 5 }))}`)), "400 INVALID_INPUT");
  check(`POST batch of ${calls} × score.submit`, await outcome("bounds batch", fetched(user.client, batchPath("score.submit"), { method: "POST", headers: json, body: batchInput({ actionId: randomUUID(), token: "t" }) })), "400 INVALID_INPUT");

  // Bodies over 64 KiB: whole, declared far larger than sent, and chunked without end.
  const cookie = { cookie: user.cookie };
  const oversized = JSON.stringify({ json: { displayName: "n".repeat(MAX_BODY_BYTES) } });
  for (const path of ["account.update", "score.submit"]) {
    const url = `${context.base}/api/trpc/${path}`;
    check(`POST ${path} with a ${oversized.length}-byte body`, await outcome("bounds body", fetched(user.client, `/api/trpc/${path}`, { method: "POST", headers: json, body: oversized })), "413 PAYLOAD_TOO_LARGE");
    check(`POST ${path} declaring 100 MiB`, await outcome("bounds body", postUntilAnswered(url, { headers: { ...json, ...cookie, "content-length": String(100 * 1024 * 1024) } })), "413 PAYLOAD_TOO_LARGE");
    check(`POST ${path} chunked without end`, await outcome("bounds body", postUntilAnswered(url, { headers: { ...json, ...cookie } })), "413 PAYLOAD_TOO_LARGE");
  }
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const credentials = `${context.base}/api/auth/callback/credentials`;
  const signUpForm = new URLSearchParams({ username: "bounds_nobody", password: "long enough password", intent: "signup", json: "true", pad: "p".repeat(MAX_BODY_BYTES) });
  check("POST /api/auth/callback/credentials with a form over 64 KiB", await outcome("bounds body", fetched(anonymous.client, "/api/auth/callback/credentials", { method: "POST", headers: form, body: signUpForm })), "413 PAYLOAD_TOO_LARGE");
  check("POST /api/auth/callback/credentials chunked without end", await outcome("bounds body", postUntilAnswered(credentials, { headers: form })), "413 PAYLOAD_TOO_LARGE");

  // superjson metadata: a BigInt as large as a body may carry, refused without reviving it; and
  // metadata that would have made an input valid.
  const started = performance.now();
  const bigint = JSON.stringify({ json: { displayName: "9".repeat(MAX_BODY_BYTES - 200) }, meta: { values: { displayName: ["bigint"] }, v: 1 } });
  check("account.update with a BigInt in superjson metadata", await outcome("bounds meta", fetched(user.client, "/api/trpc/account.update", { method: "POST", headers: json, body: bigint })), "400 INVALID_INPUT");
  const elapsed = performance.now() - started;
  if (elapsed > 2_000) failures.push(`account.update with a BigInt in superjson metadata took ${Math.round(elapsed)} ms`);
  const numberMeta = encodeURIComponent(JSON.stringify({ json: { limit: "5" }, meta: { values: { limit: ["number"] } } }));
  check("leaderboard.top with superjson metadata", await outcome("bounds meta", fetched(anonymous.client, `/api/trpc/leaderboard.top?input=${numberMeta}`)), "400 INVALID_INPUT");

  await liveStreamLimit(harness, context, failures);
  return harness.ledger.tally.total - before;
}

/** LIVE_STREAMS_PER_IP streams from one client are served, one more is 429 RATE_LIMITED; closing one frees a slot. */
async function liveStreamLimit(harness: Harness, context: Context, failures: string[]) {
  const limit = STRICT_LIMITS.liveStreamsPerIp;
  // From the IPv6 loopback: earlier scenarios hold or leave (a killed instance's, until their
  // lease lapses) slots of 127.0.0.1 on the suite's shared Redis, and the count must start at 0.
  const client = harness.anonymous(`http://[::1]:${context.port}`);
  const streams: LiveStream[] = [];
  const open = async () => {
    const stream = await client.live({ limit: 5 });
    streams.push(stream);
    await stream.until((board) => board, SIGNAL_TIMEOUT_MS);
    harness.ledger.tally.count("bounds live stream");
  };
  /** The answer to one more stream: its status and reason, a stream (200) closed at once. */
  const oneMore = async () => {
    const response = await client.request(queryPath("leaderboard.live", { limit: 5 }), { headers: { accept: "text/event-stream" }, signal: AbortSignal.timeout(SIGNAL_TIMEOUT_MS) });
    harness.ledger.tally.count(`bounds live ${response.status}`);
    if (response.ok) {
      await response.body?.cancel();
      return { status: 200, reason: "a stream", retryAfterMs: undefined };
    }
    const reply = decodeReply(response.status, await response.text());
    return { status: response.status, reason: reply.ok ? "ok" : reply.error.data?.reason, retryAfterMs: reply.ok ? undefined : reply.error.data?.retryAfterMs };
  };
  try {
    for (let index = 0; index < limit; index++) await open();
    const refused = await oneMore();
    if (refused.status !== 429 || refused.reason !== "RATE_LIMITED" || !(refused.retryAfterMs! > 0)) {
      failures.push(`live stream ${limit + 1} from one client: ${refused.status} ${refused.reason} (retryAfterMs ${refused.retryAfterMs}), expected 429 RATE_LIMITED with a retryAfterMs`);
    }
    streams.shift()!.close();
    await retryWhileLimited(open).catch((error: Error) => failures.push(`a live stream after closing one of ${limit}: ${error.message}`));
  } catch (error) {
    failures.push(`${limit} live streams from one client: ${(error as Error).message}`);
  } finally {
    for (const stream of streams) stream.close();
  }
}

/** Retries a stream's opening while it is refused for the limit, for up to 5 s. */
async function retryWhileLimited(open: () => Promise<void>) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      if (!/HTTP 429/.test((error as Error).message) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100)); // justified: a refused client retries; the freed slot announces nothing
    }
  }
}

/** Expects a call to be refused with exactly this status and reason. */
function expectRefused<T>(outcome: CallOutcome<T>, expected: Expectation, what: string, failures: string[]) {
  const got = outcome.kind === "ok" ? "accepted" : outcome.kind === "unanswered" ? "no answer" : `${outcome.status} ${outcome.reason}`;
  if (got !== `${expected.status} ${expected.reason}`) failures.push(`${what}: ${got}, expected ${expected.status} ${expected.reason}`);
  return outcome;
}

async function tamperedSessions(harness: Harness, context: Context, failures: string[]) {
  const before = harness.ledger.tally.total;
  const secret = harness.cluster.authSecret;
  const valid = await sessionToken(context.player, secret);
  const payload = Buffer.from(JSON.stringify({ sub: context.admin.id, username: context.admin.username, role: "admin", exp: 9_999_999_999 })).toString("base64url");
  const tampered: [string, string][] = [
    ["a flipped character", `${valid.slice(0, 40)}${valid[40] === "A" ? "B" : "A"}${valid.slice(41)}`],
    ["a truncated token", valid.slice(0, -10)],
    ["another secret", await sessionToken(context.player, `${secret}-not-the-app's`)],
    ["an expired token", await sessionToken(context.player, secret, {}, -3_600)],
    ["the app's secret but another deployment environment", await sessionToken(context.player, secret, {}, 3_600, "preview")],
    ["an unsigned (alg none) admin claim", `eyJhbGciOiJub25lIn0.${payload}.`],
    ["garbage", "not-a-jwt"],
  ];
  const control = await harness.ledger.call("session control", () => clientWithToken(context.base, valid).query("leaderboard.me"));
  if (control.kind !== "ok") failures.push(`a valid session cookie was refused (${control.kind}): the tampering checks would prove nothing`);
  for (const [what, token] of tampered) {
    const client = clientWithToken(context.base, token);
    expectRefused(await harness.ledger.call("tampered session", () => client.query("leaderboard.me")), { status: 401, reason: "UNAUTHENTICATED" }, `leaderboard.me with ${what}`, failures);
    expectRefused(await harness.ledger.start(client, context.player.id, "COMPLETE_TASK"), { status: 401, reason: "UNAUTHENTICATED" }, `action.start with ${what}`, failures);
    expectRefused(await harness.ledger.call("tampered session", () => client.query("admin.users", {})), { status: 401, reason: "UNAUTHENTICATED" }, `admin.users with ${what}`, failures);
  }
  // Correctly signed, for a user who does not exist: nothing to score, and no 5xx.
  const ghost = clientWithToken(context.base, await sessionToken({ id: randomUUID(), username: "ghost_user", role: "user" }, secret));
  expectRefused(await harness.ledger.start(ghost, "(ghost)", "COMPLETE_TASK"), { status: 404, reason: "NOT_FOUND" }, "action.start for a user that does not exist", failures);
  return harness.ledger.tally.total - before;
}

/** On this http deployment only `next-auth.session-token` (whole, or chunks .0, .1, …) is a session. */
async function sessionCookieByItsOwnName(harness: Harness, context: Context, failures: string[]) {
  const valid = await sessionToken(context.player, harness.cluster.authSecret);
  const half = Math.floor(valid.length / 2);
  const cases: [string, string, number][] = [
    ["the session cookie", `${SESSION_COOKIE}=${valid}`, 200],
    ["the session cookie in two chunks", `${SESSION_COOKIE}.0=${valid.slice(0, half)}; ${SESSION_COOKIE}.1=${valid.slice(half)}`, 200],
    ["https's cookie name on http", `__Secure-${SESSION_COOKIE}=${valid}`, 401],
    ["a chunk with a non-numeric suffix", `${SESSION_COOKIE}.0=${valid.slice(0, half)}; ${SESSION_COOKIE}.x=${valid.slice(half)}`, 401],
    ["a chunk with a zero-padded suffix", `${SESSION_COOKIE}.0=${valid.slice(0, half)}; ${SESSION_COOKIE}.01=${valid.slice(half)}`, 401],
  ];
  for (const [what, cookie, status] of cases) {
    const client = new ScoreboardClient(context.base, { headers: { cookie }, timeoutMs: CLIENT_TIMEOUT_MS });
    const outcome = await harness.ledger.call("session cookie name", () => client.query("leaderboard.me"));
    const got = outcome.kind === "ok" ? 200 : outcome.kind === "refused" ? outcome.status : outcome.kind;
    if (got !== status) failures.push(`leaderboard.me with ${what}: ${got}, expected ${status}`);
  }
  return cases.length;
}

/** Every kind of answer, Next.js's and those made ahead of it, refused or not, carries the security headers. */
async function securityHeadersEverywhere(context: Context, failures: string[]) {
  const paths = [
    "/",
    "/admin",
    "/api/health",
    "/api/auth/session",
    "/api/trpc/leaderboard.top?input=%7B%22json%22%3A%7B%22limit%22%3A10%7D%7D",
    "/api/trpc/leaderboard.top?input=not-json",
    "/api/trpc/leaderboard.me",
    "/api/trpc/leaderboard.live?input=%7B%22json%22%3A%7B%22limit%22%3A10%7D%7D",
    "/api/trpc/no.such.procedure",
  ];
  let checked = 0;
  for (const path of paths) {
    for (const proto of ["http", "https"]) {
      const controller = new AbortController();
      const response = await fetch(`${context.base}${path}`, { headers: { "x-forwarded-proto": proto }, redirect: "manual", signal: controller.signal });
      controller.abort(); // the live stream would not end on its own
      checked += 1;
      const missing = [
        ["content-security-policy", /frame-ancestors 'none'/],
        ["x-content-type-options", /^nosniff$/],
        ["referrer-policy", /./],
        ...(proto === "https" ? [["strict-transport-security", /^max-age=[1-9]/] as const] : []),
      ].filter(([name, pattern]) => !(pattern as RegExp).test(response.headers.get(name as string) ?? ""));
      if (missing.length > 0) failures.push(`${path} over ${proto} (${response.status}) lacks ${missing.map(([name]) => name).join(", ")}`);
      if (proto === "http" && response.headers.has("strict-transport-security")) failures.push(`${path} over http sends Strict-Transport-Security`);
    }
  }
  return checked;
}

async function adminRefusals(harness: Harness, context: Context, failures: string[]) {
  const before = harness.ledger.tally.total;
  const [anonymous, user, admin] = context.callers;
  // The role in a correctly signed session is not trusted: it is re-read from the database.
  const claimsAdmin = clientWithToken(context.base, await sessionToken(context.player, harness.cluster.authSecret, { role: "admin" }));
  const calls: [string, (client: ScoreboardClient) => Promise<unknown>][] = [
    ["admin.users", (client) => client.query("admin.users", {})],
    ["admin.auditLog", (client) => client.query("admin.auditLog", {})],
    ["admin.flags", (client) => client.query("admin.flags", {})],
    ["admin.adjustScore", (client) => client.mutate("admin.adjustScore", { userId: context.other.id, delta: 1_000, reason: "hostile adjustment" })],
    ["admin.setBanned", (client) => client.mutate("admin.setBanned", { userId: context.other.id, banned: true, reason: "hostile ban" })],
  ];
  for (const [path, call] of calls) {
    expectRefused(await harness.ledger.call(path, () => call(anonymous.client)), { status: 401, reason: "UNAUTHENTICATED" }, `${path} anonymous`, failures);
    expectRefused(await harness.ledger.call(path, () => call(user.client)), { status: 403, reason: "NOT_ADMIN" }, `${path} as a user`, failures);
    expectRefused(await harness.ledger.call(path, () => call(claimsAdmin)), { status: 403, reason: "NOT_ADMIN" }, `${path} as a user whose session claims admin`, failures);
  }
  const allowed = await harness.ledger.call("admin.users", () => admin.client.query("admin.users", {}));
  if (allowed.kind !== "ok") failures.push(`admin.users as the admin: ${allowed.kind} (the refusals above would prove nothing)`);

  const page = async (client: ScoreboardClient) => {
    const response = await client.request("/admin");
    await response.arrayBuffer();
    harness.ledger.tally.count(`GET /admin ${response.status}`);
    if (response.status >= 500) harness.ledger.tally.serverErrors += 1;
    return { status: response.status, location: response.headers.get("location") };
  };
  const asAnonymous = await page(anonymous.client);
  if (asAnonymous.status < 300 || asAnonymous.status >= 400 || !asAnonymous.location?.endsWith("/")) failures.push(`GET /admin anonymous: ${asAnonymous.status} ${asAnonymous.location ?? ""}, expected a redirect to /`);
  for (const [who, client] of [["a user", user.client], ["a user whose session claims admin", claimsAdmin]] as const) {
    const { status } = await page(client);
    if (status !== 404) failures.push(`GET /admin as ${who}: ${status}, expected 404`);
  }
  const { status } = await page(admin.client);
  if (status !== 200) failures.push(`GET /admin as the admin: ${status}, expected 200`);
  return harness.ledger.tally.total - before;
}

/** How often a probe that came out inconclusive (see below) is repeated before it counts as failed. */
const CONCLUSIVE_ATTEMPTS = 3;

async function actionTokens(harness: Harness, context: Context, failures: string[], notes: string[]) {
  const before = harness.ledger.tally.total;
  const [owner, thief, banned] = (await harness.players("tokens", 3, context.base)) as [Player, Player, Player];
  const ledger = harness.ledger;

  await tooFast(harness, owner, failures, notes);

  const startedOutcome = await ledger.start(owner.client, owner.userId, "COMPLETE_TASK");
  if (startedOutcome.kind !== "ok") throw new Error(`action.start: ${startedOutcome.kind}`);
  const action = startedOutcome.value;
  const [version, userId, actionType, actionId, issuedAt, signature] = action.token.split(".") as [string, string, string, string, string, string];
  const flipped = `${signature.slice(0, -2)}${signature.at(-2) === "A" ? "B" : "A"}${signature.at(-1)}`;

  const forged: [string, Pick<StartedAction, "actionId" | "token">][] = [
    ["a changed signature", { actionId, token: [version, userId, actionType, actionId, issuedAt, flipped].join(".") }],
    ["a raised action type", { actionId, token: [version, userId, "WIN_MATCH", actionId, issuedAt, signature].join(".") }],
    ["an earlier issue time", { actionId, token: [version, userId, actionType, actionId, String(Number(issuedAt) - 60_000), signature].join(".") }],
    ["another action id", { actionId: randomUUID(), token: action.token }],
    ["a made-up token", { actionId, token: `v1.${userId}.COMPLETE_TASK.${actionId}.${issuedAt}.${"A".repeat(43)}` }],
  ];
  for (const [what, tampered] of forged) expectRefused(await ledger.submit(owner.client, owner.userId, tampered), { status: 403, reason: "INVALID_TOKEN" }, `a token with ${what}`, failures);

  const key = actionTokenKey({ actionTokenSecret: harness.cluster.actionTokenSecret, authSecret: harness.cluster.authSecret, environment: "production" });
  const previewKey = actionTokenKey({ actionTokenSecret: harness.cluster.actionTokenSecret, authSecret: harness.cluster.authSecret, environment: "preview" });
  const fromPreview = issueActionToken(previewKey, { userId: owner.userId, actionType: "COMPLETE_TASK", actionId: randomUUID(), issuedAt: Date.now() - 60_000 });
  expectRefused(await ledger.submit(owner.client, owner.userId, fromPreview), { status: 403, reason: "INVALID_TOKEN" }, "a token signed with the app's secrets for another deployment environment", failures);
  const expired = issueActionToken(key, { userId: owner.userId, actionType: "COMPLETE_TASK", actionId: randomUUID(), issuedAt: Date.now() - 6 * 60 * 1000 });
  expectRefused(await ledger.submit(owner.client, owner.userId, expired), { status: 400, reason: "TOKEN_EXPIRED" }, "a correctly signed token issued 6 minutes ago", failures);
  expectRefused(await ledger.start(owner.client, owner.userId, "MAKE_ME_RICH"), { status: 400, reason: "UNKNOWN_ACTION" }, "action.start of an unknown action type", failures);

  await waitUntilCompletable(action);
  expectRefused(await ledger.submit(thief.client, thief.userId, action), { status: 403, reason: "INVALID_TOKEN" }, "another user's token", failures);
  const first = await ledger.submit(owner.client, owner.userId, action);
  if (first.kind !== "ok" || first.value.replayed || first.value.delta !== ACTION_RULES.COMPLETE_TASK.delta) failures.push(`the genuine submit: ${JSON.stringify(first)}`);
  const replay = await ledger.submit(owner.client, owner.userId, action);
  if (replay.kind !== "ok" || !replay.value.replayed || replay.value.delta !== 0) failures.push(`a replayed submit: ${JSON.stringify(replay)}, expected replayed: true, delta: 0`);
  expectRefused(await ledger.submit(thief.client, thief.userId, action), { status: 403, reason: "INVALID_TOKEN" }, "another user's already used token", failures);

  await dailyBonusOnce(harness, owner, failures, notes);

  // A ban takes effect at once, also for an action started before it.
  const admin = context.callers[2];
  const pending = await ledger.start(banned.client, banned.userId, "DAILY_BONUS");
  const ban = await ledger.call("admin.setBanned", () => admin.client.mutate("admin.setBanned", { userId: banned.userId, banned: true, reason: "fault suite: banned player" }));
  if (ban.kind !== "ok" || pending.kind !== "ok") failures.push(`banning a player: ${ban.kind}, start ${pending.kind}`);
  else {
    expectRefused(await ledger.submit(banned.client, banned.userId, pending.value), { status: 403, reason: "BANNED" }, "a banned player's submit", failures);
    expectRefused(await ledger.start(banned.client, banned.userId, "COMPLETE_TASK"), { status: 403, reason: "BANNED" }, "a banned player's action.start", failures);
  }
  return harness.ledger.tally.total - before;
}

/**
 * A submit answered before the action's minCompleteAt must be TOO_FAST. One answered later
 * proves nothing (the server may have checked after that moment, on a slow machine), so the probe
 * is repeated with a new action rather than judged.
 */
async function tooFast(harness: Harness, player: Player, failures: string[], notes: string[]) {
  for (let attempt = 1; attempt <= CONCLUSIVE_ATTEMPTS; attempt++) {
    const started = await harness.ledger.start(player.client, player.userId, "WIN_MATCH");
    if (started.kind !== "ok") return void failures.push(`action.start of WIN_MATCH: ${started.kind}`);
    const outcome = await harness.ledger.submit(player.client, player.userId, started.value);
    const refusedTooFast = outcome.kind === "refused" && outcome.reason === "TOO_FAST";
    if (refusedTooFast || Date.now() < started.value.minCompleteAt.getTime()) {
      expectRefused(outcome, { status: 400, reason: "TOO_FAST" }, "a submit before minCompleteAt", failures);
      return;
    }
    notes.push(`too-fast probe ${attempt} was answered only after minCompleteAt (${ACTION_RULES.WIN_MATCH.minSeconds} s after the start): repeated`);
  }
  failures.push(`no too-fast probe was answered within ${ACTION_RULES.WIN_MATCH.minSeconds} s of its action's start`);
}

const utcDay = () => new Date().toISOString().slice(0, 10);

/** The day's bonus counts once; a second DAILY_BONUS the same UTC day is refused (a check that spans midnight is repeated on the new day). */
async function dailyBonusOnce(harness: Harness, player: Player, failures: string[], notes: string[]) {
  for (let attempt = 1; attempt <= CONCLUSIVE_ATTEMPTS; attempt++) {
    const day = utcDay();
    const bonus = await harness.ledger.start(player.client, player.userId, "DAILY_BONUS");
    if (bonus.kind !== "ok") return void failures.push(`DAILY_BONUS start: ${bonus.kind}`);
    const claimed = await harness.ledger.submit(player.client, player.userId, bonus.value);
    if (claimed.kind !== "ok" || claimed.value.delta !== ACTION_RULES.DAILY_BONUS.delta) failures.push(`the day's bonus: ${JSON.stringify(claimed)}`);
    const second = await harness.ledger.start(player.client, player.userId, "DAILY_BONUS");
    if (utcDay() === day) {
      expectRefused(second, { status: 429, reason: "ACTION_CAP_REACHED" }, "a second DAILY_BONUS the same day", failures);
      return;
    }
    notes.push(`the DAILY_BONUS cap check spanned midnight UTC: repeated`);
  }
  failures.push(`no DAILY_BONUS cap check of ${CONCLUSIVE_ATTEMPTS} ran within one UTC day`);
}

async function rateLimits(harness: Harness, context: Context, failures: string[], notes: string[]) {
  const before = harness.ledger.tally.total;
  const { limit, windowMs } = STRICT_LIMITS.user;
  const burst = limit + 10;
  const starters = await harness.players("limit_starts", CONCLUSIVE_ATTEMPTS, context.base);
  const submitters = await harness.players("limit_submits", CONCLUSIVE_ATTEMPTS, context.base);

  // A concurrent burst from one fresh user, inside one window: exactly `limit` pass.
  const starts = await conclusive(harness, context.base, "actionStart", windowMs, starters, notes, (starter) =>
    Promise.all(Array.from({ length: burst }, () => harness.ledger.start(starter.client, starter.userId, "COMPLETE_TASK"))),
  );
  if (starts) checkBurst("action.start", starts, (outcome) => outcome.kind === "ok", limit, windowMs, failures);
  else failures.push(`no action.start burst of ${CONCLUSIVE_ATTEMPTS} was conclusive`);

  const submits = await conclusive(harness, context.base, "scoreSubmit", windowMs, submitters, notes, (submitter) =>
    Promise.all(Array.from({ length: burst }, () => harness.ledger.submit(submitter.client, submitter.userId, { actionId: randomUUID(), token: "v1.forged" }))),
  );
  if (submits) checkBurst("score.submit", submits, (outcome) => outcome.kind === "refused" && outcome.reason === "INVALID_TOKEN", limit, windowMs, failures);
  else failures.push(`no score.submit burst of ${CONCLUSIVE_ATTEMPTS} was conclusive`);

  // Sign-in attempts per client IP; a client cannot pick another IP with X-Forwarded-For. The
  // instance is reached from two loopback addresses, two client IPs with no history.
  const auth = STRICT_LIMITS.auth;
  const addresses = [context.base, `http://[::1]:${context.port}`];
  const attempts = await conclusive(harness, context.base, "auth", auth.windowMs, addresses, notes, async (base) => {
    const answers: string[] = [];
    for (let attempt = 0; attempt < auth.limit + 2; attempt++) {
      const spoofing = attempt >= auth.limit ? { "x-forwarded-for": `203.0.113.${attempt}`, "x-real-ip": `198.51.100.${attempt}` } : undefined;
      const client = new ScoreboardClient(base, { timeoutMs: CLIENT_TIMEOUT_MS, ...(spoofing ? { headers: spoofing } : {}) });
      const { status, error } = await client.tryCredentials({ username: "nobody_here", password: "wrong-password-1", intent: "signin" });
      answers.push(error ?? (status === 200 ? "signed in" : `HTTP ${status}`));
      harness.ledger.tally.count(`sign-in ${answers.at(-1)}`);
    }
    return answers;
  });
  const expected = [...Array<string>(auth.limit).fill("CredentialsSignin"), "RATE_LIMITED", "RATE_LIMITED"];
  if (!attempts) failures.push(`no series of sign-in attempts from ${addresses.length} client addresses was conclusive`);
  else if (JSON.stringify(attempts) !== JSON.stringify(expected)) {
    failures.push(`sign-in attempts from one IP (the last two with spoofed X-Forwarded-For): ${attempts.join(", ")}; expected ${auth.limit} refusals of the password, then RATE_LIMITED`);
  }
  return harness.ledger.tally.total - before;
}

/**
 * Sign-in and sign-up: failed sign-ins are limited per username whatever the client address
 * (PRODUCT.md, Invariants), and what next-auth redirects to never carries a database error.
 */
async function signIns(harness: Harness, context: Context, failures: string[], notes: string[]) {
  const before = harness.ledger.tally.total;
  const { limit, windowMs } = STRICT_LIMITS.signInUser;
  const password = "the right password";

  // One wrong password from each of `limit` client addresses (far below the per-IP limit), then the
  // right one from yet another: refused, the account's guesses are used up.
  const targets = Array.from({ length: CONCLUSIVE_ATTEMPTS }, () => `hostile_target_${randomBytes(4).toString("hex")}`);
  const answers = await conclusive(harness, context.base, "signInFailures", windowMs, targets, notes, async (username) => {
    await credentialsFrom(harness, context.base, nextAddress(), { username, password, intent: "signup" });
    const seen: string[] = [];
    for (let attempt = 0; attempt < limit; attempt++) {
      seen.push((await credentialsFrom(harness, context.base, nextAddress(), { username, password: `wrong guess ${attempt}`, intent: "signin" })).outcome);
    }
    seen.push((await credentialsFrom(harness, context.base, nextAddress(), { username, password, intent: "signin" })).outcome);
    return seen;
  });
  const expected = [...Array<string>(limit).fill("CredentialsSignin"), "RATE_LIMITED"];
  if (!answers) failures.push("no series of failed sign-ins for one username was conclusive");
  else if (JSON.stringify(answers) !== JSON.stringify(expected)) {
    failures.push(`failed sign-ins for one username, each from another client address, then the right password: ${answers.join(", ")}; expected ${limit} refusals of the password, then RATE_LIMITED`);
  }

  // Hostile payloads: refused with a fixed code (or accepted), never a 5xx, never SQL. Long, but
  // under the 64 KiB a request body may have.
  const hostilePayloads: Credentials[] = [
    { username: "x".repeat(30_000), password, intent: "signup" },
    { username: `ok_${randomBytes(3).toString("hex")}`, password: "p".repeat(30_000), intent: "signup" },
    { username: "nul\u0000name", password, intent: "signup" },
    { username: "robert'); drop table users; --", password, intent: "signup" },
    { username: `\u212A${randomBytes(3).toString("hex")}`, password, intent: "signup" }, // the Kelvin sign lower-cases to an ASCII k
    { username: "\ud800\udfff\u202e", password: "\u0000".repeat(12), intent: "signin" },
    { username: `gh-${randomBytes(3).toString("hex")}`, password, intent: "signup" },
    { username: `ok_${randomBytes(3).toString("hex")}`, password, intent: "register" as Credentials["intent"] },
  ];
  for (const payload of hostilePayloads) await credentialsFrom(harness, context.base, nextAddress(), payload, failures);

  // A sign-up whose insert fails in the database (a constraint this probe adds for one name prefix):
  // next-auth would put the error's message, SQL and password hash included, in the URL.
  await harness.sql`alter table users add constraint hostile_probe_refused check (username !~ '^leak_probe_') not valid`;
  try {
    const refused = await credentialsFrom(harness, context.base, nextAddress(), { username: `leak_probe_${randomBytes(3).toString("hex")}`, password, intent: "signup" }, failures);
    if (refused.outcome !== "UNAVAILABLE") failures.push(`a sign-up whose insert failed in the database: ${refused.outcome.slice(0, 300)}, expected UNAVAILABLE`);
  } finally {
    await harness.sql`alter table users drop constraint hostile_probe_refused`;
  }
  return harness.ledger.tally.total - before;
}

/** The codes sign-in and sign-up may answer with (AUTH_ERRORS, and next-auth's own for a wrong password). */
const SIGN_IN_CODES = new Set(["signed in", "CredentialsSignin", "INVALID_INPUT", "USERNAME_TAKEN", "RATE_LIMITED", "UNAVAILABLE"]);
/** What a database error's text looks like; none of it may reach a client. */
const DATABASE_TEXT = /failed query|insert into|select |params:|scrypt\$|postgres|violates|constraint|ECONN/i;

let addressCount = 0;
/**
 * A client address of its own for each request: the instance is served directly (no TRUST_PROXY),
 * so its client IP is the TCP peer, and on Linux every 127.x.y.z is this machine.
 */
function nextAddress() {
  addressCount += 1;
  return `127.77.${Math.floor(addressCount / 250) % 250}.${(addressCount % 250) + 1}`;
}

/**
 * next-auth's credentials flow from `address` (CSRF token and cookie, then the callback), as
 * ScoreboardClient does it; the outcome is next-auth's error code, or "signed in". With
 * `failures`, an answer that is a 5xx, carries an unknown code or shows database text is one.
 */
async function credentialsFrom(harness: Harness, base: string, address: string, credentials: Credentials, failures?: string[]) {
  const dispatcher = new Agent({ localAddress: address });
  try {
    const signal = AbortSignal.timeout(CLIENT_TIMEOUT_MS);
    const csrf = await undiciFetch(`${base}/api/auth/csrf`, { dispatcher, signal });
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
    const response = await undiciFetch(`${base}/api/auth/callback/credentials`, {
      dispatcher,
      signal,
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrfToken, ...credentials, callbackUrl: base, json: "true" }),
    });
    const text = await response.text();
    const url = ((): string | null => {
      try {
        return (JSON.parse(text) as { url?: string }).url ?? null;
      } catch {
        return null;
      }
    })();
    const outcome = (url ? new URL(url, base).searchParams.get("error") : null) ?? (response.status === 200 ? "signed in" : `HTTP ${response.status}`);
    harness.ledger.tally.count(`credentials ${SIGN_IN_CODES.has(outcome) ? outcome : "(other)"}`);
    if (response.status >= 500) harness.ledger.tally.serverErrors += 1;
    const what = `${credentials.intent} as ${JSON.stringify(credentials.username.slice(0, 40))}`;
    if (failures && (response.status >= 500 || !SIGN_IN_CODES.has(outcome) || DATABASE_TEXT.test(`${text} ${outcome} ${response.headers.get("location") ?? ""}`))) {
      failures.push(`${what}: HTTP ${response.status} ${text.slice(0, 300)}`);
    }
    return { status: response.status, outcome };
  } finally {
    await dispatcher.close();
  }
}

/**
 * Runs a rate-limit probe with each fresh identity in turn (a user, a client address: no
 * history, so no window is shared) until one run is conclusive, and returns its result (null if
 * none was). A run is inconclusive when it spans a window edge of the limiter's clock (the
 * sliding window weighs the previous window, so such a run rightly lets one more through), or
 * when the app skipped the limit for a request because Redis did not answer in time (it fails
 * open by design; it counts those in its metrics).
 */
async function conclusive<I, T>(harness: Harness, base: string, limitName: string, windowMs: number, identities: I[], notes: string[], probe: (identity: I) => Promise<T>): Promise<T | null> {
  for (const [index, identity] of identities.entries()) {
    const skippedBefore = await limitsSkipped(harness, base, limitName);
    const window = Math.floor(Date.now() / windowMs);
    const result = await probe(identity);
    const spannedEdge = Math.floor(Date.now() / windowMs) !== window;
    const skipped = (await limitsSkipped(harness, base, limitName)) - skippedBefore;
    if (!spannedEdge && skipped === 0) return result;
    notes.push(`${limitName} probe ${index + 1} ${spannedEdge ? "spanned a rate-limit window edge" : `had the limit skipped ${skipped}× (Redis too slow)`}: repeated with a fresh identity`);
  }
  return null;
}

/** How many checks of this limit the app skipped because Redis failed or timed out (its metrics). */
async function limitsSkipped(harness: Harness, base: string, limitName: string) {
  const response = await fetch(`${base}/api/metrics`, { headers: { authorization: `Bearer ${harness.cluster.metricsToken}` }, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /api/metrics: HTTP ${response.status}`);
  const line = text.split("\n").find((entry) => entry.startsWith(`scoreboard_redis_fallbacks_total{operation="ratelimit:${limitName}"}`));
  return Number(line?.split(" ").at(-1) ?? 0);
}

function checkBurst<T>(what: string, outcomes: CallOutcome<T>[], passed: (outcome: CallOutcome<T>) => boolean, limit: number, windowMs: number, failures: string[]) {
  const through = outcomes.filter(passed).length;
  const limited = outcomes.filter((outcome) => outcome.kind === "refused" && outcome.reason === "RATE_LIMITED" && outcome.status === 429);
  const badRetry = limited.filter((outcome) => outcome.kind === "refused" && !(outcome.retryAfterMs! > 0 && outcome.retryAfterMs! <= windowMs));
  if (through !== limit || limited.length !== outcomes.length - limit || badRetry.length > 0) {
    failures.push(`${outcomes.length} concurrent ${what} from one user: ${through} through, ${limited.length} × 429 RATE_LIMITED (${badRetry.length} without a retryAfterMs in (0, ${windowMs}]); expected exactly ${limit} through`);
  }
}
