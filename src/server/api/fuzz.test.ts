/**
 * Property-based fuzzing of the tRPC API through the REAL HTTP handler (fetch adapter, the app's
 * router, superjson envelopes over real `Request`s) as an anonymous caller, a signed-in user and
 * the admin (root_admin). PRODUCT.md, Errors: "Bad input never yields a 500 and never changes state".
 *
 *  1. Every procedure gets hostile inputs (fc.anything, wrong types per field, huge strings, deep
 *     nesting, control/RTL characters, own `__proto__`/`constructor`/`prototype` keys, NaN/±Infinity/
 *     -0/1e308/huge integers, forbidden extra fields). The answer is never ≥ 500, its body is JSON,
 *     and every error carries a `reason` from the spec's list.
 *  2. The state-changing procedures only ever get inputs that are invalid by construction: each is
 *     refused with INVALID_INPUT (or, for a normal user on admin procedures, NOT_ADMIN), and the
 *     database's scores, audit rows, moderation rows, refusals and profiles are unchanged.
 *  3. Raw HTTP abuse: malformed JSON, non-object bodies, wrong methods, unknown procedures, mixed
 *     batches, hostile superjson `meta`, a 2 MB body.
 */
import { randomBytes } from "node:crypto";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { TRPCError } from "@trpc/server";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { signUp, type SessionUser } from "~/server/auth/accounts";
import { services } from "~/server/composition-root";
import { createRateLimits } from "~/server/redis/rate-limit";
import { reasonOf } from "./errors";
import { appRouter, createCaller } from "./root";
import { contextServices, type Context } from "./trpc";
import { TEST_PASSWORD, rootAdmin, sessionFor } from "../../../test/support/users";
import { callTrpc, type Reply } from "../../../test/support/trpc-http";
import {
  ALLOWED_REASONS,
  firstLiveEvent,
  type Kind,
  hostile,
  shaped,
  wire,
  MUTATIONS,
  invalidWire,
  limitArb,
  READS,
  windowArb,
} from "../../../test/support/fuzz-inputs";

const { db } = services;

// ---------------------------------------------------------------------------------------------
// Context and HTTP plumbing
// ---------------------------------------------------------------------------------------------

/** No rate limit may turn a fuzz run into RATE_LIMITED noise (and none touches Redis). */
const noRateLimits = createRateLimits({ redis: services.redis, prefix: services.keys.rateLimit, user: "20/10s", auth: "10/60s", signInUser: "10/15m", disabled: true });

function context(session: Session | null): Context {
  return { ...contextServices(), session, headers: new Headers({ "user-agent": "fuzz-test" }), rateLimits: noRateLimits };
}

/** Sends an already serialised envelope (`{"json":…,"meta"?:…}` text) the way the client would. */
function call(path: string, kind: Kind, ctx: Context, envelope: string | undefined): Promise<Reply> {
  if (kind === "query") {
    const query = envelope === undefined ? "" : `?input=${encodeURIComponent(envelope)}`;
    return callTrpc(`${path}${query}`, ctx);
  }
  return callTrpc(path, ctx, {
    method: "POST",
    headers: { "content-type": "application/json" },
    ...(envelope === undefined ? {} : { body: envelope }),
  });
}

type ErrorShape = { json: { code: number; message: string; data: { code: string; httpStatus: number; reason?: unknown } } };

/** One item of an answer (single or batched): a result, or an error with an allowed reason. */
function expectWellFormedItem(item: unknown, context: string): { ok: true } | { ok: false; reason: string; httpStatus: number } {
  expect(item, context).toBeTypeOf("object");
  expect(item, context).not.toBeNull();
  const record = item as { result?: unknown; error?: ErrorShape };
  if (record.error === undefined) {
    expect(record.result, context).toBeDefined();
    return { ok: true };
  }
  const data = record.error.json?.data;
  expect(data, context).toBeDefined();
  expect(data.httpStatus, context).toBeLessThan(500);
  expect(typeof data.reason, context).toBe("string");
  expect(ALLOWED_REASONS.has(data.reason as string), `${context}: reason ${String(data.reason)}`).toBe(true);
  return { ok: false, reason: data.reason as string, httpStatus: data.httpStatus };
}

/** The property of every answer: < 500, JSON, errors with an allowed reason. */
function expectNo5xx(reply: Reply, context: string) {
  const where = `${context} → ${reply.status} ${reply.text.slice(0, 400)}`;
  expect(reply.status, where).toBeLessThan(500);
  if (Array.isArray(reply.body)) return reply.body.map((item, index) => expectWellFormedItem(item, `${where} [${index}]`));
  return [expectWellFormedItem(reply.body, where)];
}


// ---------------------------------------------------------------------------------------------
// Users and the state snapshot
// ---------------------------------------------------------------------------------------------

const uniqueName = (prefix: string) => `${prefix}_${randomBytes(6).toString("hex")}`;

async function signUpUser(prefix: string): Promise<SessionUser> {
  const result = await signUp(db, { username: uniqueName(prefix), password: TEST_PASSWORD });
  if (!result.ok) throw new Error(`sign-up failed: ${result.reason}`);
  return result.user;
}

let player: SessionUser;
let target: SessionUser;
let admin: SessionUser;
let anonymous: Context;
let asPlayer: Context;
let asAdmin: Context;

/** Everything a call could change, in this file's own database: every score, audit row, refusal, moderation row and profile. */
async function snapshot() {
  const rows = await db.execute<{ scores: string; audit: number; refusals: number; moderation: number; profiles: string }>(sql`
    select
      (select coalesce(sum(score), 0)::text from scores) as scores,
      (select count(*)::int from score_actions) as audit,
      (select count(*)::int from action_refusals) as refusals,
      (select count(*)::int from moderation_actions) as moderation,
      (select md5(coalesce(string_agg(id || display_name || hidden || banned || role, ',' order by id), '')) from users) as profiles`);
  return [...rows][0];
}

function expectPrototypesClean() {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
  expect(typeof probe.toString).toBe("function");
}

beforeAll(async () => {
  player = await signUpUser("fz");
  target = await signUpUser("fzt");
  admin = await rootAdmin();
  anonymous = context(null);
  asPlayer = context(sessionFor(player));
  asAdmin = context(sessionFor(admin));
});

afterAll(() => {
  expectPrototypesClean();
});

// ---------------------------------------------------------------------------------------------
// 1. Every procedure, hostile input, three callers: never ≥ 500
// ---------------------------------------------------------------------------------------------

const RUNS = 40;
/** FUZZ_SEED=<seed> replays the run fast-check reported (every property gets that seed). */
const SEED = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED) };

describe("1. hostile input over HTTP never yields ≥ 500 and every error has a reason", () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    before = await snapshot();
  });

  const callers = [
    ["anonymous", () => anonymous],
    ["a signed-in user", () => asPlayer],
    ["the admin", () => asAdmin],
  ] as const;

  for (const [who, ctxOf] of callers) {
    for (const spec of READS) {
      it(`${spec.path} as ${who}`, async () => {
        const values = fc.oneof(hostile, shaped(spec.fields()));
        await fc.assert(
          fc.asyncProperty(wire(values), async ({ text }) => {
            expectNo5xx(await call(spec.path, spec.kind, ctxOf(), text), `${spec.path} ${text?.slice(0, 200)}`);
          }),
          { numRuns: RUNS, ...SEED },
        );
      });
    }

    for (const spec of MUTATIONS) {
      it(`${spec.path} as ${who} (inputs invalid by construction)`, async () => {
        await fc.assert(
          fc.asyncProperty(invalidWire(spec, target.id, true), async ({ text }) => {
            expectNo5xx(await call(spec.path, "mutation", ctxOf(), text), `${spec.path} ${text?.slice(0, 200)}`);
          }),
          { numRuns: RUNS, ...SEED },
        );
      });
    }
  }

  it("leaves the database's state unchanged and Object.prototype clean", async () => {
    expect(await snapshot()).toEqual(before);
    expectPrototypesClean();
  });
});

// ---------------------------------------------------------------------------------------------
// 2. State-changing procedures: invalid input is refused as INVALID_INPUT and changes nothing
// ---------------------------------------------------------------------------------------------

describe("2. invalid input to state-changing procedures is refused and changes no state", () => {
  for (const [who, ctxOf, isAdmin] of [
    ["a signed-in user", () => asPlayer, false],
    ["the admin", () => asAdmin, true],
  ] as const) {
    it(`as ${who}`, async () => {
      const before = await snapshot();
      for (const spec of MUTATIONS) {
        await fc.assert(
          fc.asyncProperty(invalidWire(spec, target.id), async ({ text }) => {
            const reply = await call(spec.path, "mutation", ctxOf(), text);
            const context = `${spec.path} ${text?.slice(0, 200)}`;
            const [outcome] = expectNo5xx(reply, context);
            const expected = spec.admin && !isAdmin ? { status: 403, reason: "NOT_ADMIN" } : { status: 400, reason: "INVALID_INPUT" };
            expect({ status: reply.status, reason: outcome?.ok ? "(accepted)" : outcome?.reason }, `${context} → ${reply.text.slice(0, 300)}`).toEqual(expected);
          }),
          { numRuns: 60, ...SEED },
        );
      }
      expect(await snapshot()).toEqual(before);
      expectPrototypesClean();
    });
  }

  it("an own __proto__ key smuggles nothing: fields hidden in it are not seen, Object.prototype stays clean", async () => {
    const before = await snapshot();
    const proto = (json: string) => `{"json":${json}}`;
    const cases: Array<[string, Context, string]> = [
      // Nothing to change unless the prototype's `hidden` were read.
      ["account.update", asPlayer, proto('{"__proto__":{"hidden":true,"displayName":"smuggled"}}')],
      ["account.update", asPlayer, proto('{"constructor":{"prototype":{"hidden":true}}}')],
      // A required field only present in the prototype.
      ["admin.adjustScore", asAdmin, proto(`{"userId":"${target.id}","reason":"smuggled delta","__proto__":{"delta":1000}}`)],
      ["admin.setBanned", asAdmin, proto(`{"userId":"${target.id}","reason":"smuggled ban","__proto__":{"banned":true}}`)],
      ["score.submit", asPlayer, proto('{"__proto__":{"actionId":"00000000-0000-4000-8000-000000000000","token":"x"}}')],
      ["action.start", asPlayer, proto('{"__proto__":{"actionType":"COMPLETE_TASK"}}')],
    ];
    for (const [path, ctx, body] of cases) {
      const reply = await call(path, "mutation", ctx, body);
      const [outcome] = expectNo5xx(reply, `${path} ${body}`);
      expect({ status: reply.status, reason: outcome?.ok ? "(accepted)" : outcome?.reason }, `${path} ${body} → ${reply.text.slice(0, 300)}`).toEqual({
        status: 400,
        reason: "INVALID_INPUT",
      });
    }
    expect(await snapshot()).toEqual(before);
    expectPrototypesClean();
    expect(({} as Record<string, unknown>).hidden).toBeUndefined();
    expect(({} as Record<string, unknown>).delta).toBeUndefined();
  });

  it("leaderboard.live (createCaller): invalid input throws BAD_REQUEST / INVALID_INPUT, nothing else", async () => {
    const liveFields = shaped({ limit: limitArb, window: windowArb, lastEventId: fc.oneof(fc.string({ maxLength: 32 }), fc.constant(null)) });
    const controller = new AbortController();
    const caller = createCaller(context(null), { signal: controller.signal });
    try {
      await fc.assert(
        fc.asyncProperty(fc.oneof(hostile, liveFields), async (input) => {
          let iterable: unknown;
          try {
            iterable = await caller.leaderboard.live(input as never);
          } catch (error) {
            expect(error).toBeInstanceOf(TRPCError);
            const trpcError = error as TRPCError;
            expect({ code: trpcError.code, reason: reasonOf(trpcError) }).toEqual({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
            return;
          }
          // Valid by chance: an unstarted generator; close it without reading.
          await (iterable as AsyncGenerator<unknown>).return?.(undefined);
        }),
        { numRuns: 150, ...SEED },
      );

      const invalid = [0, 101, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e308, "10", null, [], {}]
        .map((limit) => ({ limit }))
        .concat([{ lastEventId: "x".repeat(33) } as never, { lastEventId: 42 } as never, { lastEventId: {} } as never])
        .concat([{ window: "month" } as never, { window: "" } as never, { window: null } as never]);
      for (const input of [...invalid, "x", 7, [], null]) {
        const error = await caller.leaderboard.live(input as never).then(
          () => null,
          (caughtError: unknown) => caughtError,
        );
        expect(error, JSON.stringify(input)).toBeInstanceOf(TRPCError);
        expect(reasonOf(error as TRPCError), JSON.stringify(input)).toBe("INVALID_INPUT");
      }
    } finally {
      controller.abort();
    }
  });

  it("leaderboard.live over HTTP with invalid input is refused with an error: never ≥ 500, never a board", async () => {
    for (const input of [{ limit: 0 }, { limit: "x" }, { lastEventId: "y".repeat(1000) }, "nope"]) {
      const controller = new AbortController();
      try {
        const response = await fetchRequestHandler({
          endpoint: "/api/trpc",
          req: new Request(`http://localhost/api/trpc/leaderboard.live?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { signal: controller.signal }),
          router: appRouter,
          createContext: () => anonymous,
        });
        expect(response.status, JSON.stringify(input)).toBeLessThan(500);
        // A stream begins with its error (read up to it: the stream need not end by itself); any other answer is the error.
        const answer = response.ok ? await firstLiveEvent(response) : await response.text();
        if (response.ok) expect(answer, JSON.stringify(input)).toMatch(/^an error: /);
        expect(answer, JSON.stringify(input)).not.toMatch(/INTERNAL_SERVER_ERROR/);
      } finally {
        controller.abort();
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Raw HTTP abuse
// ---------------------------------------------------------------------------------------------

describe("3. raw HTTP abuse on the real handler", () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    before = await snapshot();
  });

  const post = (path: string, body: BodyInit | undefined, ctx: Context = asPlayer, contentType = "application/json") =>
    callTrpc(path, ctx, { method: "POST", headers: { "content-type": contentType }, ...(body === undefined ? {} : { body }) });

  it("malformed JSON bodies and non-object bodies: 4xx with a reason, never ≥ 500", async () => {
    const bodies = ["{", "{not-json", '{"json":', "", "null", "42", '"a string"', "[]", "[1,2,3]", "true", '{"json":null,"meta":null}', '{"meta":{"values":{"__proto__":["undefined"]}}}', "\u0000", "\ufeff{}", '{"json":{"actionType":"COMPLETE_TASK"}}garbage'];
    for (const path of MUTATIONS.map((spec) => spec.path)) {
      for (const body of bodies) {
        for (const ctx of [anonymous, asPlayer, asAdmin]) {
          expectNo5xx(await post(path, body, ctx), `POST ${path} ${JSON.stringify(body)}`);
        }
      }
    }
    for (const path of READS.map((spec) => spec.path)) {
      for (const raw of ["%7Bnot-json", "", "null", "42", "%22x%22", "%5B%5D", "%E0%A4%A", "%00", encodeURIComponent('{"json":{"limit":1},"meta":{"values":{"limit":["bigint"]}}}')]) {
        expectNo5xx(await callTrpc(`${path}?input=${raw}`, asAdmin), `GET ${path}?input=${raw}`);
      }
    }
  });

  // Regression (npm run test:faults, hostile-input): tRPC's own 415 went out with reason INTERNAL
  // and the message "Internal server error", as if the server had failed.
  it("a body that is not JSON is 415 with reason INVALID_INPUT, not INTERNAL", async () => {
    for (const [contentType, body] of [["text/plain", "actionType=COMPLETE_TASK"], ["application/x-www-form-urlencoded", "actionType=COMPLETE_TASK"]]) {
      const reply = await post("action.start", body, asPlayer, contentType);
      const [outcome] = expectNo5xx(reply, `POST action.start as ${contentType}`);
      expect({ status: reply.status, reason: outcome?.ok ? null : outcome?.reason }, contentType).toEqual({ status: 415, reason: "INVALID_INPUT" });
    }
  });

  it("fuzzed raw bodies and query strings: never ≥ 500", async () => {
    const paths = [...MUTATIONS.map((spec) => spec.path), ...READS.map((spec) => spec.path)];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.json({ maxDepth: 3 })), fc.boolean(), async (path, raw, asBody) => {
        const reply = asBody ? await post(path, raw, asAdmin) : await callTrpc(`${path}?input=${encodeURIComponent(raw)}`, asAdmin);
        expectNo5xx(reply, `${asBody ? "POST" : "GET"} ${path} ${JSON.stringify(raw).slice(0, 200)}`);
      }),
      { numRuns: 150, ...SEED },
    );
  });

  it("a GET to a mutation and a POST to a query are 405 METHOD_NOT_SUPPORTED; other methods < 500", async () => {
    for (const spec of MUTATIONS) {
      const reply = await callTrpc(`${spec.path}?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, asAdmin);
      const [outcome] = expectNo5xx(reply, `GET ${spec.path}`);
      expect({ status: reply.status, reason: outcome?.ok ? null : outcome?.reason }).toEqual({ status: 405, reason: "METHOD_NOT_SUPPORTED" });
    }
    for (const spec of READS) {
      const reply = await post(spec.path, JSON.stringify({ json: {} }), asAdmin);
      const [outcome] = expectNo5xx(reply, `POST ${spec.path}`);
      expect({ status: reply.status, reason: outcome?.ok ? null : outcome?.reason }).toEqual({ status: 405, reason: "METHOD_NOT_SUPPORTED" });
    }
    for (const method of ["PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const response = await fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request("http://localhost/api/trpc/account.update", { method, headers: { "content-type": "application/json" }, ...(method === "OPTIONS" ? {} : { body: '{"json":{"hidden":true}}' }) }),
        router: appRouter,
        createContext: () => asPlayer,
      });
      expect(response.status, method).toBeLessThan(500);
      await response.text();
    }
  });

  it("unknown procedures are 404 NOT_FOUND, whatever the path looks like", async () => {
    const unknown = ["leaderboard.nope", "nope", "admin", "score", "score.submit.x", "__proto__", "constructor", "__proto__.toString", "constructor.prototype", "toString", "hasOwnProperty", "action.__proto__", "admin.constructor", "%00", "a".repeat(5_000)];
    for (const path of unknown) {
      for (const method of ["GET", "POST"] as const) {
        const reply = method === "GET" ? await callTrpc(path, asAdmin) : await post(path, JSON.stringify({ json: {} }), asAdmin);
        const [outcome] = expectNo5xx(reply, `${method} ${path.slice(0, 40)}`);
        expect({ status: reply.status, reason: outcome?.ok ? null : outcome?.reason }, `${method} ${path.slice(0, 40)}`).toEqual({ status: 404, reason: "NOT_FOUND" });
      }
    }
  });

  it("batches mixing valid and invalid calls: no ≥ 500, one result per call, a reason for each bad one", async () => {
    // leaderboard.me without input, as the browser's client sends it (superjson's undefined); a bare
    // null is not an input of `{ window?, period? }`.
    const noInput = { json: null, meta: { values: ["undefined"], v: 1 } };
    const queryInput = encodeURIComponent(JSON.stringify({ 0: { json: { limit: 3 } }, 1: { json: { limit: "many" } }, 2: noInput, 3: { json: { limit: 1e308 } } }));
    const queries = await callTrpc(`leaderboard.top,leaderboard.top,leaderboard.me,admin.flags?batch=1&input=${queryInput}`, asPlayer);
    const outcomes = expectNo5xx(queries, "GET batch");
    expect(outcomes.map((outcome) => (outcome.ok ? "ok" : outcome.reason))).toEqual(["ok", "INVALID_INPUT", "ok", "NOT_ADMIN"]);

    // Mutations: the valid one is a harmless action.start (it writes nothing to the database).
    const body = JSON.stringify({
      0: { json: { actionType: "COMPLETE_TASK" } },
      1: { json: { actionId: "not-a-uuid", token: "x" } },
      2: { json: { displayName: "\u202eevil", hidden: "yes" } },
      3: { json: { userId: player.id, delta: 1e9, reason: "x" } },
      4: { json: { actionType: "COMPLETE_TASK", score: 1_000_000 } },
    });
    const mutations = await post("action.start,score.submit,account.update,admin.adjustScore,action.start?batch=1", body, asPlayer);
    const mutationOutcomes = expectNo5xx(mutations, "POST batch");
    expect(mutationOutcomes.map((outcome) => (outcome.ok ? "ok" : outcome.reason))).toEqual(["ok", "INVALID_INPUT", "INVALID_INPUT", "NOT_ADMIN", "INVALID_INPUT"]);

    const adminBatch = await post(
      "admin.adjustScore,admin.setBanned?batch=1",
      JSON.stringify({ 0: { json: { userId: target.id, delta: 0, reason: "zero" } }, 1: { json: { userId: target.id, banned: "true", reason: "ban" } } }),
      asAdmin,
    );
    expect(expectNo5xx(adminBatch, "POST admin batch").map((outcome) => (outcome.ok ? "ok" : outcome.reason))).toEqual(["INVALID_INPUT", "INVALID_INPUT"]);
  });

  it("hostile batch envelopes: never ≥ 500", async () => {
    const cases: Array<[string, string | undefined]> = [
      ["leaderboard.top?batch=1", undefined],
      ["leaderboard.top?batch=1&input=%5B%5D", undefined],
      ["leaderboard.top?batch=1&input=null", undefined],
      ["leaderboard.top?batch=1&input=42", undefined],
      [`leaderboard.top?batch=1&input=${encodeURIComponent('{"__proto__":{"json":{"limit":1}},"0":{"json":{"limit":1}}}')}`, undefined],
      [`leaderboard.top?batch=1&input=${encodeURIComponent('{"5":{"json":{"limit":1}}}')}`, undefined],
      [`leaderboard.top?batch=1&input=${encodeURIComponent('{"0":"not-an-envelope"}')}`, undefined],
      [`leaderboard.top?batch=0&input=${encodeURIComponent('{"json":{"limit":1}}')}`, undefined],
      [`leaderboard.top?batch=yes&input=${encodeURIComponent('{"json":{"limit":1}}')}`, undefined],
      [`${Array.from({ length: 50 }, () => "leaderboard.top").join(",")}?batch=1`, undefined],
      [`${Array.from({ length: 20 }, () => "nope").join(",")}?batch=1`, undefined],
      ["action.start,score.submit?batch=1", '{"0":{"json":{"actionType":"X"}}}'],
      ["action.start,score.submit?batch=1", "[1,2]"],
      ["action.start,score.submit?batch=1", "null"],
      ["action.start?batch=1", '{"__proto__":{"json":{"actionType":"COMPLETE_TASK"}}}'],
      ["action.start,leaderboard.top?batch=1", '{"0":{"json":{"actionType":"X"}},"1":{"json":{}}}'],
    ];
    for (const [pathAndQuery, body] of cases) {
      const reply = body === undefined ? await callTrpc(pathAndQuery, asPlayer) : await post(pathAndQuery, body, asPlayer);
      expectNo5xx(reply, `${body === undefined ? "GET" : "POST"} ${pathAndQuery.slice(0, 120)} ${body ?? ""}`);
    }
  });

  it("a ~2 MB body is refused without ≥ 500", async () => {
    const huge = "x".repeat(2 * 1024 * 1024);
    const bodies = [
      JSON.stringify({ json: { displayName: huge } }),
      JSON.stringify({ json: { actionId: huge, token: huge.slice(0, 1000) } }),
      JSON.stringify({ json: Array.from({ length: 200_000 }, (_, index) => index) }),
      `{"json":${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
      huge,
    ];
    for (const path of ["account.update", "score.submit", "admin.adjustScore"]) {
      for (const body of bodies) {
        const reply = await post(path, body, path.startsWith("admin.") ? asAdmin : asPlayer);
        const [outcome] = expectNo5xx(reply, `POST ${path} (${body.length} bytes)`);
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(outcome?.ok).toBe(false);
      }
    }
  });

  it("leaves the database's state unchanged and Object.prototype clean", async () => {
    expect(await snapshot()).toEqual(before);
    expectPrototypesClean();
  });
});
