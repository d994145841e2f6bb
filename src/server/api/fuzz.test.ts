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
 *     test users' scores, audit rows, moderation rows, refusals and profiles are unchanged.
 *  3. Raw HTTP abuse: malformed JSON, non-object bodies, wrong methods, unknown procedures, mixed
 *     batches, hostile superjson `meta`, a 2 MB body.
 */
import { randomBytes } from "node:crypto";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { TRPCError } from "@trpc/server";
import { inArray, sql } from "drizzle-orm";
import fc from "fast-check";
import type { Session } from "next-auth";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

import { env } from "~/env.js";
import { signUp, type SessionUser } from "~/server/auth/accounts";
import { db } from "~/server/db";
import { actionRefusals, moderationActions, scoreActions, scores, users } from "~/server/db/schema";
import { redis, redisKey } from "~/server/redis/client";
import { createRateLimits } from "~/server/redis/rate-limit";
import { liveBoard, scoreDeps } from "~/server/scoring";
import { reasonOf } from "./errors";
import { appRouter, createCaller } from "./root";
import type { Context } from "./trpc";
import { TEST_PASSWORD, rootAdmin, sessionFor } from "../../../test/users";
import { callTrpc, type Reply } from "../../../test/trpc-http";

// ---------------------------------------------------------------------------------------------
// Context and HTTP plumbing
// ---------------------------------------------------------------------------------------------

/** No rate limit may turn a fuzz run into RATE_LIMITED noise (and none touches Redis). */
const noRateLimits = createRateLimits({ redis, prefix: redisKey("fuzz-ratelimit"), user: "20/10s", auth: "10/60s", disabled: true });

function context(session: Session | null): Context {
  return {
    db,
    session,
    headers: new Headers({ "user-agent": "fuzz-test" }),
    scoring: scoreDeps,
    rateLimits: noRateLimits,
    live: liveBoard,
  };
}

/** The spec's reasons (PRODUCT.md, Errors) plus tRPC's own refusals; never INTERNAL. */
const ALLOWED_REASONS = new Set([
  "UNAUTHENTICATED",
  "INVALID_INPUT",
  "UNKNOWN_ACTION",
  "INVALID_TOKEN",
  "TOKEN_EXPIRED",
  "TOO_FAST",
  "ACTION_CAP_REACHED",
  "RATE_LIMITED",
  "BANNED",
  "NOT_ADMIN",
  "NOT_FOUND",
  "METHOD_NOT_SUPPORTED",
  "PAYLOAD_TOO_LARGE",
]);


type Kind = "query" | "mutation";

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
// Arbitraries
// ---------------------------------------------------------------------------------------------

const PROTO_KEYS = ["__proto__", "constructor", "prototype"] as const;
const FORBIDDEN_EXTRA_KEYS = ["delta", "score", "userId", "role", "newScore", "actorId", ...PROTO_KEYS] as const;
/**
 * Extra keys that make a strict input invalid. Not `__proto__`: superjson's deserialize drops an own
 * `__proto__` key before the schema runs, so the server never sees it (see the dedicated test below).
 */
const STRICT_EXTRA_KEYS = FORBIDDEN_EXTRA_KEYS.filter((key) => key !== "__proto__");

/** A plain object with exactly these own, enumerable keys (`__proto__` included, as JSON.parse makes it). */
function withOwnKeys(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

const weirdNumber = fc.oneof(
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    -Number.MAX_SAFE_INTEGER - 2,
    2 ** 63,
    -(2 ** 63),
    2 ** 31,
    -(2 ** 31) - 1,
    1_000_001,
    -1_000_001,
    101,
    -1,
    0.5,
    1.5,
    1e-7,
  ),
  fc.double(),
  fc.integer(),
);

const CONTROL_AND_FORMAT = [
  "\u0000",
  "\u0007",
  "\u0008",
  "\u001b[31m",
  "\u007f",
  "\u0085",
  "\u00ad",
  "\u061c",
  "\u200b",
  "\u200e",
  "\u200f",
  "\u202a",
  "\u202d",
  "\u202e",
  "\u2028",
  "\u2029",
  "\u2066",
  "\u2069",
  "\ufeff",
  "\ufff9",
  "\ud800",
  "\udfff",
];
const nastyChar = fc.constantFrom(...CONTROL_AND_FORMAT, "💥", "é", "ﷺ", "𝕏", "\u0301", " ", "\t", "\n", "%", "\\", '"', "'", "<", "&", "/");

const unicodeString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.array(fc.oneof(nastyChar, fc.string({ maxLength: 3 })), { maxLength: 20 }).map((parts) => parts.join("")),
);

/** Up to ~100 kB: a random chunk repeated (generating 100 k random characters would be slow). */
const hugeString = fc
  .tuple(fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), nastyChar), fc.integer({ min: 1_000, max: 100_000 }))
  .map(([chunk, length]) => chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length));

/** Deeply nested arrays or objects (built iteratively). */
const deepValue = fc.tuple(fc.integer({ min: 50, max: 3_000 }), fc.boolean(), fc.anything({ maxDepth: 0 })).map(([depth, asArray, leaf]) => {
  let value: unknown = leaf;
  for (let level = 0; level < depth; level++) value = asArray ? [value] : { a: value };
  return value;
});

/** Real own prototype-pollution keys, as a client's JSON.parse (and the server's) makes them. */
const protoObject = fc
  .tuple(
    fc.subarray([...PROTO_KEYS], { minLength: 1 }),
    fc.constantFrom('{"polluted":"yes"}', '{"toString":1}', '{"prototype":{"polluted":"yes"}}', "null", "1", '"x"', "[]"),
  )
  .map(([keys, inner]) => JSON.parse(`{${keys.map((key) => `${JSON.stringify(key)}:${inner}`).join(",")}}`) as unknown);

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true, key: fc.oneof(fc.string(), fc.constantFrom(...PROTO_KEYS)) }), weight: 3 },
  { arbitrary: weirdNumber, weight: 2 },
  { arbitrary: unicodeString, weight: 2 },
  { arbitrary: hugeString, weight: 1 },
  { arbitrary: deepValue, weight: 1 },
  { arbitrary: protoObject, weight: 1 },
  { arbitrary: fc.constantFrom(null, undefined, true, false, "", [], {}, "null", "undefined", "true", "{}"), weight: 1 },
);

/**
 * An object of the procedure's fields, each omitted, plausible or hostile, plus perhaps forbidden
 * extra keys (`delta`, `score`, `userId`, `__proto__`, …) as real own keys.
 */
function shaped(fields: Record<string, fc.Arbitrary<unknown>>, allowExtras = true): fc.Arbitrary<Record<string, unknown>> {
  const fieldEntries = Object.entries(fields).map(([key, valid]) =>
    fc.option(fc.oneof(valid, hostile).map((value) => [key, value] as const), { nil: undefined }),
  );
  const extras = allowExtras
    ? fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FORBIDDEN_EXTRA_KEYS), fc.string({ maxLength: 10 })), hostile), { maxLength: 3 })
    : fc.constant([] as Array<[string, unknown]>);
  return fc.tuple(fc.tuple(...fieldEntries), extras).map(([present, extra]) =>
    withOwnKeys([...present.filter((entry): entry is readonly [string, unknown] => entry !== undefined), ...extra]),
  );
}

/** The text on the wire: plain `{json}`, superjson's own envelope (NaN, -0, undefined survive), or a hostile `meta`. */
const hostileMeta = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.record({
    values: fc.dictionary(
      fc.oneof(fc.constantFrom("", "__proto__", "constructor.prototype", "limit", "a.b", "0", "__proto__.polluted"), fc.string({ maxLength: 12 })),
      fc.oneof(
        fc.constantFrom("undefined", "number", "bigint", "Date", "regexp", "set", "map", "Error", "symbol", "nope"),
        fc.tuple(fc.constantFrom("class", "custom", "symbol", "typed-array", "number", "bigint"), fc.string({ maxLength: 12 })),
        fc.anything({ maxDepth: 2 }),
      ),
      { maxKeys: 3 },
    ),
    referentialEqualities: fc.option(
      fc.dictionary(fc.constantFrom("", "__proto__", "a", "constructor"), fc.array(fc.constantFrom("__proto__", "constructor.prototype", "a", "x.y"), { maxLength: 3 })),
      { nil: undefined },
    ),
    v: fc.constantFrom(1, 2, "1", undefined),
  }),
);

function envelope(value: unknown, mode: "plain" | "superjson" | "meta", meta: unknown): string {
  if (mode === "superjson") {
    try {
      return JSON.stringify(superjson.serialize(value));
    } catch {
      // superjson refuses some hostile shapes client-side; send them plain.
    }
  }
  return JSON.stringify(mode === "meta" ? { json: value, meta } : { json: value });
}

/** `withMeta: false` for inputs that must stay invalid: a hostile meta could rewrite a field. */
const wire = (values: fc.Arbitrary<unknown>, withMeta = true) =>
  fc.tuple(values, fc.constantFrom("plain" as const, "superjson" as const, ...(withMeta ? (["meta"] as const) : [])), hostileMeta).map(([value, mode, meta]) => ({
    value,
    mode,
    text: envelope(value, mode, meta),
  }));

// ---------------------------------------------------------------------------------------------
// Invalid-by-construction inputs for the state-changing procedures
// ---------------------------------------------------------------------------------------------

const isUuid = (value: string) => z.uuid().safeParse(value).success;

const notAString = fc.oneof(weirdNumber, fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), protoObject, deepValue);
const notABoolean = fc.oneof(weirdNumber, fc.constantFrom(null, "true", "false", "1", "", [], {}), unicodeString, protoObject);
const notAUuid = fc.oneof(
  notAString,
  fc.oneof(unicodeString, hugeString, fc.uuid().map((id) => `${id} `), fc.uuid().map((id) => `{${id}}`), fc.uuid().map((id) => id.replace(/-/g, ""))).filter((text) => !isUuid(text)),
);
const badReason = fc.oneof(
  notAString,
  fc.tuple(fc.constantFrom("", " ", "\t\n", "\u3000 "), fc.string({ maxLength: 2 }).map((text) => text.trim()), fc.constantFrom("", " ", "\u2028")).map((parts) => parts.join("")),
  fc.integer({ min: 501, max: 100_000 }).map((length) => "r".repeat(length)),
);
const badDelta = fc.oneof(
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1e308, 2 ** 63, 1_000_001, -1_000_001, Number.MAX_SAFE_INTEGER + 2),
  fc.integer({ min: 1_000_001, max: Number.MAX_SAFE_INTEGER }).chain((n) => fc.constantFrom(n, -n)),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((x) => !Number.isInteger(x)),
  fc.constantFrom("5", "1e3", "", null, true, [], {}, [5], { value: 5 }),
  unicodeString,
);
const badDisplayName = fc.oneof(
  notAString,
  fc.constantFrom("", " ", "\t\n ", "\u3000", "\u00a0\u00a0"),
  fc.tuple(
    fc.string({ minLength: 1, maxLength: 10 }).filter((text) => text.trim().length > 0),
    // Cc/Cf/Zl/Zp only (the documented rule); lone surrogates (Cs) are not in it.
    fc.constantFrom(...CONTROL_AND_FORMAT.filter((c) => c.trim() !== "" && /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(c))),
    fc.string({ minLength: 1, maxLength: 10 }).filter((text) => text.trim().length > 0))
    .map(([head, bad, tail]) => `${head.trim()}${bad}${tail.trim()}`),
  fc.integer({ min: 33, max: 100_000 }).map((length) => "n".repeat(length)),
);
const badActionType = fc.oneof(notAString, fc.constant(""), fc.integer({ min: 65, max: 100_000 }).map((length) => "A".repeat(length)));
const badToken = fc.oneof(notAString, fc.constant(""), fc.integer({ min: 513, max: 100_000 }).map((length) => "t".repeat(length)));

type MutatingSpec = {
  path: string;
  admin: boolean;
  /** Valid values per field; the target user's id is filled in at run time. */
  valid: (targetId: string) => Record<string, fc.Arbitrary<unknown>>;
  invalid: Record<string, fc.Arbitrary<unknown>>;
};

const validName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,20}[A-Za-z0-9]$/);

const MUTATIONS: MutatingSpec[] = [
  {
    path: "action.start",
    admin: false,
    valid: () => ({ actionType: fc.constantFrom("COMPLETE_TASK", "WIN_MATCH", "DAILY_BONUS", "ADMIN_ADJUST", "complete_task") }),
    invalid: { actionType: badActionType },
  },
  {
    path: "score.submit",
    admin: false,
    valid: () => ({ actionId: fc.uuid(), token: fc.string({ minLength: 1, maxLength: 512 }) }),
    invalid: { actionId: notAUuid, token: badToken },
  },
  {
    path: "account.update",
    admin: false,
    valid: () => ({ displayName: validName, hidden: fc.boolean() }),
    invalid: { displayName: badDisplayName, hidden: notABoolean },
  },
  {
    path: "admin.adjustScore",
    admin: true,
    valid: (targetId) => ({ userId: fc.constant(targetId), delta: fc.integer({ min: 1, max: 1_000_000 }), reason: fc.constant("fuzz adjustment") }),
    invalid: { userId: notAUuid, delta: badDelta, reason: badReason },
  },
  {
    path: "admin.setBanned",
    admin: true,
    valid: (targetId) => ({ userId: fc.constant(targetId), banned: fc.boolean(), reason: fc.constant("fuzz moderation") }),
    invalid: { userId: notAUuid, banned: notABoolean, reason: badReason },
  },
];

/** Not a plain object at all (top level), so no schema above can accept it. */
const notAnObject = fc.oneof(
  weirdNumber,
  unicodeString,
  hugeString,
  fc.constantFrom(null, undefined, true, false, "", "{}"),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
  deepValue.map((value) => [value]),
);

/**
 * An input the procedure must refuse, by construction: the valid shape with at least one field
 * made invalid, or with a forbidden extra key (every schema is `.strict()`), or not an object.
 */
function invalidInput(spec: MutatingSpec, targetId: string): fc.Arbitrary<unknown> {
  const valid = spec.valid(targetId);
  const fieldNames = Object.keys(valid);
  const oneBadField = fc
    .tuple(fc.constantFrom(...fieldNames), fc.tuple(...fieldNames.map((name) => fc.tuple(valid[name]!, spec.invalid[name]!, fc.boolean()))))
    .map(([badName, values]) =>
      withOwnKeys(
        fieldNames.flatMap((name, index) => {
          const [good, bad, keep] = values[index]!;
          if (name === badName) return [[name, bad] as const];
          // Other fields: valid, or left out (which is never what makes the input acceptable).
          return keep ? [[name, good] as const] : [];
        }),
      ),
    );
  const extraKey = fc
    .tuple(
      fc.tuple(...fieldNames.map((name) => valid[name]!)),
      fc.oneof(
        fc.constantFrom(...STRICT_EXTRA_KEYS),
        fc.string({ minLength: 1, maxLength: 10 }).filter((key) => !fieldNames.includes(key) && key !== "__proto__"),
      ),
      // Never undefined: plain JSON would drop the key and leave a valid input.
      hostile.filter((value) => value !== undefined),
    )
    .map(([goods, key, value]) => withOwnKeys([...fieldNames.map((name, index) => [name, goods[index]] as const), [key, value]]));
  return fc.oneof(oneBadField, extraKey, notAnObject, fc.constant({}));
}

// ---------------------------------------------------------------------------------------------
// Users and the state snapshot
// ---------------------------------------------------------------------------------------------

const uniqueName = (prefix: string) => `${prefix}_${randomBytes(6).toString("hex")}`;

async function signUpUser(prefix: string): Promise<SessionUser> {
  const result = await signUp(db, env.ADMIN_USERNAMES, { username: uniqueName(prefix), password: TEST_PASSWORD });
  if (!result.ok) throw new Error(`sign-up failed: ${result.reason}`);
  return result.user;
}

let player: SessionUser;
let target: SessionUser;
let admin: SessionUser;
let anonymous: Context;
let asPlayer: Context;
let asAdmin: Context;

/** Everything of our users that a call could change (other test files share the database, so only our users). */
async function snapshot() {
  const ids = [player.id, target.id, admin.id];
  const profiles = await db
    .select({ id: users.id, displayName: users.displayName, hidden: users.hidden, banned: users.banned, role: users.role })
    .from(users)
    .where(inArray(users.id, ids))
    .orderBy(users.id);
  const scoreSum = await db.select({ total: sql<string>`coalesce(sum(${scores.score}), 0)::text` }).from(scores).where(inArray(scores.userId, ids));
  const count = async (table: typeof scoreActions | typeof moderationActions | typeof actionRefusals) =>
    (await db.select({ n: sql<number>`count(*)::int` }).from(table).where(inArray(table.userId, ids)))[0]?.n;
  return {
    profiles,
    scoreSum: scoreSum[0]?.total,
    scoreActions: await count(scoreActions),
    moderationActions: await count(moderationActions),
    actionRefusals: await count(actionRefusals),
  };
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

type ProcedureSpec = { path: string; kind: Kind; fields: () => Record<string, fc.Arbitrary<unknown>>; strict: boolean };

const limitArb = fc.oneof(fc.integer({ min: 1, max: 100 }), weirdNumber);
const READS: ProcedureSpec[] = [
  { path: "leaderboard.top", kind: "query", fields: () => ({ limit: limitArb }), strict: false },
  { path: "leaderboard.me", kind: "query", fields: () => ({}), strict: false },
  { path: "admin.users", kind: "query", fields: () => ({ query: unicodeString, cursor: fc.oneof(fc.uuid(), unicodeString), limit: limitArb }), strict: true },
  {
    path: "admin.auditLog",
    kind: "query",
    fields: () => ({ cursor: fc.oneof(fc.integer({ min: 1 }), weirdNumber), limit: limitArb, userId: fc.uuid(), actionType: fc.constantFrom("COMPLETE_TASK", "ADMIN_ADJUST", "%", "' or 1=1 --") }),
    strict: true,
  },
  { path: "admin.flags", kind: "query", fields: () => ({ limit: limitArb }), strict: true },
];

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
          { numRuns: RUNS },
        );
      });
    }

    for (const spec of MUTATIONS) {
      it(`${spec.path} as ${who} (inputs invalid by construction)`, async () => {
        await fc.assert(
          fc.asyncProperty(wire(fc.oneof(invalidInput(spec, target.id), notAnObject)), async ({ text }) => {
            expectNo5xx(await call(spec.path, "mutation", ctxOf(), text), `${spec.path} ${text?.slice(0, 200)}`);
          }),
          { numRuns: RUNS },
        );
      });
    }
  }

  it("leaves the test users' state unchanged and Object.prototype clean", async () => {
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
          fc.asyncProperty(wire(invalidInput(spec, target.id), false), async ({ text }) => {
            const reply = await call(spec.path, "mutation", ctxOf(), text);
            const context = `${spec.path} ${text?.slice(0, 200)}`;
            const [outcome] = expectNo5xx(reply, context);
            const expected = spec.admin && !isAdmin ? { status: 403, reason: "NOT_ADMIN" } : { status: 400, reason: "INVALID_INPUT" };
            expect({ status: reply.status, reason: outcome?.ok ? "(accepted)" : outcome?.reason }, `${context} → ${reply.text.slice(0, 300)}`).toEqual(expected);
          }),
          { numRuns: 60 },
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
    const liveFields = shaped({ limit: limitArb, lastEventId: fc.oneof(fc.string({ maxLength: 32 }), fc.constant(null)) });
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
        { numRuns: 150 },
      );

      const invalid = [0, 101, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e308, "10", null, [], {}]
        .map((limit) => ({ limit }))
        .concat([{ lastEventId: "x".repeat(33) } as never, { lastEventId: 42 } as never, { lastEventId: {} } as never]);
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

  it("leaderboard.live over HTTP with invalid input answers < 500 (short-lived request)", async () => {
    for (const input of [{ limit: 0 }, { limit: "x" }, { lastEventId: "y".repeat(1000) }, "nope"]) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 1_000);
      try {
        const response = await fetchRequestHandler({
          endpoint: "/api/trpc",
          req: new Request(`http://localhost/api/trpc/leaderboard.live?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { signal: controller.signal }),
          router: appRouter,
          createContext: () => anonymous,
        });
        expect(response.status, JSON.stringify(input)).toBeLessThan(500);
        const text = await response.text().catch(() => "");
        expect(text, JSON.stringify(input)).not.toMatch(/INTERNAL_SERVER_ERROR/);
      } finally {
        clearTimeout(timer);
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

  it("fuzzed raw bodies and query strings: never ≥ 500", async () => {
    const paths = [...MUTATIONS.map((spec) => spec.path), ...READS.map((spec) => spec.path)];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(fc.string({ unit: "binary", maxLength: 200 }), fc.json({ maxDepth: 3 })), fc.boolean(), async (path, raw, asBody) => {
        const reply = asBody ? await post(path, raw, asAdmin) : await callTrpc(`${path}?input=${encodeURIComponent(raw)}`, asAdmin);
        expectNo5xx(reply, `${asBody ? "POST" : "GET"} ${path} ${JSON.stringify(raw).slice(0, 200)}`);
      }),
      { numRuns: 150 },
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
    const queryInput = encodeURIComponent(JSON.stringify({ 0: { json: { limit: 3 } }, 1: { json: { limit: "many" } }, 2: { json: null }, 3: { json: { limit: 1e308 } } }));
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

  it("leaves the test users' state unchanged and Object.prototype clean", async () => {
    expect(await snapshot()).toEqual(before);
    expectPrototypesClean();
  });
});
