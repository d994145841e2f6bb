/**
 * Hostile inputs for every tRPC procedure (fast-check arbitraries), shared by the in-process fuzz
 * test (src/server/api/fuzz.test.ts) and the fault suite's hostile-input scenario over real HTTP
 * (faults/scenarios/hostile-input.ts). PRODUCT.md, Errors: "Bad input never yields a 500 and never
 * changes state".
 */
import fc from "fast-check";
import superjson, { type SuperJSONResult } from "superjson";
import { z } from "zod";

import { periodAt } from "~/lib/board-windows";
import { adjustScoreInput, actionStartInput, scoreSubmitInput, setBannedInput } from "~/server/api/routers/inputs";
import { profileInput } from "~/server/auth/profile";
import { liveEventReader } from "./live-stream";

/** The spec's reasons (PRODUCT.md, Errors) plus tRPC's own refusals; never INTERNAL. */
export const ALLOWED_REASONS = new Set([
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

export type Kind = "query" | "mutation";

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

export const PROTO_KEYS = ["__proto__", "constructor", "prototype"] as const;
export const FORBIDDEN_EXTRA_KEYS = ["delta", "score", "userId", "role", "newScore", "actorId", ...PROTO_KEYS] as const;
/**
 * Extra keys that make a strict input invalid, unless the procedure has a field of that name
 * (admin.adjustScore's `userId` and `delta`). Not `__proto__`: superjson's deserialize drops an
 * own `__proto__` key before the schema runs, so the server never sees it (see the dedicated test
 * in src/server/api/fuzz.test.ts).
 */
export const STRICT_EXTRA_KEYS = FORBIDDEN_EXTRA_KEYS.filter((key) => key !== "__proto__");

/** A plain object with exactly these own, enumerable keys (`__proto__` included, as JSON.parse makes it). */
export function withOwnKeys(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

export const weirdNumber = fc.oneof(
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

export const CONTROL_AND_FORMAT = [
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
export const nastyChar = fc.constantFrom(...CONTROL_AND_FORMAT, "💥", "é", "ﷺ", "𝕏", "\u0301", " ", "\t", "\n", "%", "\\", '"', "'", "<", "&", "/");

export const unicodeString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.array(fc.oneof(nastyChar, fc.string({ maxLength: 3 })), { maxLength: 20 }).map((parts) => parts.join("")),
);

/** Up to ~100 kB: a random chunk repeated (generating 100 k random characters would be slow). */
export const hugeString = fc
  .tuple(fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), nastyChar), fc.integer({ min: 1_000, max: 100_000 }))
  .map(([chunk, length]) => chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length));

/** Deeply nested arrays or objects (built iteratively). */
export const deepValue = fc.tuple(fc.integer({ min: 50, max: 3_000 }), fc.boolean(), fc.anything({ maxDepth: 0 })).map(([depth, asArray, leaf]) => {
  let value: unknown = leaf;
  for (let level = 0; level < depth; level++) value = asArray ? [value] : { a: value };
  return value;
});

/** Real own prototype-pollution keys, as a client's JSON.parse (and the server's) makes them. */
export const protoObject = fc
  .tuple(
    fc.subarray([...PROTO_KEYS], { minLength: 1 }),
    fc.constantFrom('{"polluted":"yes"}', '{"toString":1}', '{"prototype":{"polluted":"yes"}}', "null", "1", '"x"', "[]"),
  )
  .map(([keys, inner]) => JSON.parse(`{${keys.map((key) => `${JSON.stringify(key)}:${inner}`).join(",")}}`) as unknown);

export const hostile: fc.Arbitrary<unknown> = fc.oneof(
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
export function shaped(fields: Record<string, fc.Arbitrary<unknown>>, allowExtras = true): fc.Arbitrary<Record<string, unknown>> {
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
export const hostileMeta = fc.oneof(
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

export function envelope(value: unknown, mode: "plain" | "superjson" | "meta", meta: unknown): string {
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
export const wire = (values: fc.Arbitrary<unknown>, withMeta = true) =>
  fc.tuple(values, fc.constantFrom("plain" as const, "superjson" as const, ...(withMeta ? (["meta"] as const) : [])), hostileMeta).map(([value, mode, meta]) => ({
    value,
    mode,
    text: envelope(value, mode, meta),
  }));

/** What the procedure's input parser receives for a wire text: tRPC's JSON.parse, then superjson's deserialize. */
function decodeAsServer(text: string): unknown {
  return superjson.deserialize(JSON.parse(text) as SuperJSONResult);
}

/** True when a procedure with this input schema refuses the wire text (one the server cannot decode is refused). */
function refuses(schema: z.ZodType, text: string): boolean {
  let decoded: unknown;
  try {
    decoded = decodeAsServer(text);
  } catch {
    return true;
  }
  return !schema.safeParse(decoded).success;
}

// ---------------------------------------------------------------------------------------------
// Invalid-by-construction inputs for the state-changing procedures
// ---------------------------------------------------------------------------------------------

export const isUuid = (value: string) => z.uuid().safeParse(value).success;

export const notAString = fc.oneof(weirdNumber, fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), protoObject, deepValue);
export const notABoolean = fc.oneof(weirdNumber, fc.constantFrom(null, "true", "false", "1", "", [], {}), unicodeString, protoObject);
export const notAUuid = fc.oneof(
  notAString,
  fc.oneof(unicodeString, hugeString, fc.uuid().map((id) => `${id} `), fc.uuid().map((id) => `{${id}}`), fc.uuid().map((id) => id.replace(/-/g, ""))).filter((text) => !isUuid(text)),
);
export const badReason = fc.oneof(
  notAString,
  fc.tuple(fc.constantFrom("", " ", "\t\n", "\u3000 "), fc.string({ maxLength: 2 }).map((text) => text.trim()), fc.constantFrom("", " ", "\u2028")).map((parts) => parts.join("")),
  fc.integer({ min: 501, max: 100_000 }).map((length) => "r".repeat(length)),
);
export const badDelta = fc.oneof(
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, -1e308, 2 ** 63, 1_000_001, -1_000_001, Number.MAX_SAFE_INTEGER + 2),
  fc.integer({ min: 1_000_001, max: Number.MAX_SAFE_INTEGER }).chain((n) => fc.constantFrom(n, -n)),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((x) => !Number.isInteger(x)),
  fc.constantFrom("5", "1e3", "", null, true, [], {}, [5], { value: 5 }),
  unicodeString,
);
export const badDisplayName = fc.oneof(
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
export const badActionType = fc.oneof(notAString, fc.constant(""), fc.integer({ min: 65, max: 100_000 }).map((length) => "A".repeat(length)));
export const badToken = fc.oneof(notAString, fc.constant(""), fc.integer({ min: 513, max: 100_000 }).map((length) => "t".repeat(length)));

export type MutatingSpec = {
  path: string;
  admin: boolean;
  /** The procedure's own input schema: what the server parses. */
  schema: z.ZodType;
  /** Valid values per field; the target user's id is filled in at run time. */
  valid: (targetId: string) => Record<string, fc.Arbitrary<unknown>>;
  invalid: Record<string, fc.Arbitrary<unknown>>;
};

export const validName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,20}[A-Za-z0-9]$/);

export const MUTATIONS: MutatingSpec[] = [
  {
    path: "action.start",
    admin: false,
    schema: actionStartInput,
    valid: () => ({ actionType: fc.constantFrom("COMPLETE_TASK", "WIN_MATCH", "DAILY_BONUS", "ADMIN_ADJUST", "complete_task") }),
    invalid: { actionType: badActionType },
  },
  {
    path: "score.submit",
    admin: false,
    schema: scoreSubmitInput,
    valid: () => ({ actionId: fc.uuid(), token: fc.string({ minLength: 1, maxLength: 512 }) }),
    invalid: { actionId: notAUuid, token: badToken },
  },
  {
    path: "account.update",
    admin: false,
    schema: profileInput,
    valid: () => ({ displayName: validName, hidden: fc.boolean() }),
    invalid: { displayName: badDisplayName, hidden: notABoolean },
  },
  {
    path: "admin.adjustScore",
    admin: true,
    schema: adjustScoreInput,
    valid: (targetId) => ({ userId: fc.constant(targetId), delta: fc.integer({ min: 1, max: 1_000_000 }), reason: fc.constant("fuzz adjustment") }),
    invalid: { userId: notAUuid, delta: badDelta, reason: badReason },
  },
  {
    path: "admin.setBanned",
    admin: true,
    schema: setBannedInput,
    valid: (targetId) => ({ userId: fc.constant(targetId), banned: fc.boolean(), reason: fc.constant("fuzz moderation") }),
    invalid: { userId: notAUuid, banned: notABoolean, reason: badReason },
  },
];

/** Not a plain object at all (top level), so no schema above can accept it. */
export const notAnObject = fc.oneof(
  weirdNumber,
  unicodeString,
  hugeString,
  fc.constantFrom(null, undefined, true, false, "", "{}"),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
  deepValue.map((value) => [value]),
);

/**
 * An input the procedure must refuse, by construction: the valid shape with at least one field
 * made invalid, or with an extra key it does not have (every schema is `.strict()`), or not an
 * object. Not exported: sent only through `invalidWire`, which checks what the server parses.
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
        // A key the procedure has would replace its valid value, not add a forbidden one.
        fc.constantFrom(...STRICT_EXTRA_KEYS.filter((key) => !fieldNames.includes(key))),
        fc.string({ minLength: 1, maxLength: 10 }).filter((key) => !fieldNames.includes(key) && key !== "__proto__"),
      ),
      // Never undefined: plain JSON would drop the key and leave a valid input.
      hostile.filter((value) => value !== undefined),
    )
    .map(([goods, key, value]) => withOwnKeys([...fieldNames.map((name, index) => [name, goods[index]] as const), [key, value]]));
  return fc.oneof(oneBadField, extraKey, notAnObject, fc.constant({}));
}

/**
 * Wire texts of inputs the procedure must refuse (`invalidInput`), each held against the
 * procedure's own schema as the server decodes it, so a generator mistake can never send a
 * valid input. `withMeta` adds hostile superjson `meta`, which can rewrite a field into a valid
 * one: those texts are dropped too.
 */
export function invalidWire(spec: MutatingSpec, targetId: string, withMeta = false) {
  return wire(invalidInput(spec, targetId), withMeta).filter(({ text }) => refuses(spec.schema, text));
}

// ---------------------------------------------------------------------------------------------
// The read procedures and their fields
// ---------------------------------------------------------------------------------------------

export type ProcedureSpec = { path: string; kind: Kind; fields: () => Record<string, fc.Arbitrary<unknown>>; strict: boolean };

export const limitArb = fc.oneof(fc.integer({ min: 1, max: 100 }), weirdNumber);
/** A board window: the three there are, or text that is none of them. */
export const windowArb = fc.oneof(fc.constantFrom("all", "week", "day", "month", "ALL", " day", ""), unicodeString);
/** A period name: real days and ISO weeks, ones that look real but are not, and any text. */
export const periodArb = fc.oneof(
  // Any moment of the years 0100..9999, named as its day or as its ISO week.
  fc
    .tuple(fc.integer({ min: Date.UTC(100, 0, 1), max: Date.UTC(9999, 11, 31) }), fc.constantFrom("day" as const, "week" as const))
    .map(([at, window]) => periodAt(window, at).name),
  fc.constantFrom("2026-11-29", "2026-W48", "2026-W53", "2020-W53", "2026-02-29", "2024-02-29", "2026-13-01", "2026-W00"),
  fc.constantFrom("0000-01-01", "1969-12-31", "2026-W1", "2026-11-29T00:00:00Z"),
  unicodeString,
);
export const READS: ProcedureSpec[] = [
  { path: "leaderboard.top", kind: "query", fields: () => ({ limit: limitArb, window: windowArb, period: periodArb }), strict: false },
  { path: "leaderboard.me", kind: "query", fields: () => ({ window: windowArb, period: periodArb }), strict: false },
  { path: "leaderboard.around", kind: "query", fields: () => ({ radius: fc.oneof(fc.integer({ min: 1, max: 10 }), weirdNumber), window: windowArb }), strict: true },
  { path: "admin.users", kind: "query", fields: () => ({ query: unicodeString, cursor: fc.oneof(fc.uuid(), unicodeString), limit: limitArb }), strict: true },
  {
    path: "admin.auditLog",
    kind: "query",
    fields: () => ({ cursor: fc.oneof(fc.integer({ min: 1 }), weirdNumber), limit: limitArb, userId: fc.uuid(), actionType: fc.constantFrom("COMPLETE_TASK", "ADMIN_ADJUST", "%", "' or 1=1 --") }),
    strict: true,
  },
  { path: "admin.flags", kind: "query", fields: () => ({ limit: limitArb }), strict: true },
];

/**
 * What a `leaderboard.live` stream answered to hostile input sent first, in words ("an error: …",
 * "a board", "the end of the stream", "nothing"), read up to that event and no further: a
 * stream refusing invalid input must begin with its error, and need not end by itself.
 */
export async function firstLiveEvent(response: Response): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let first: string | null = null;
  const feed = liveEventReader({
    onBoard: () => (first ??= "a board"),
    onEnd: (reason) => (first ??= reason.startsWith("the server sent an error") ? `an error: ${reason}` : reason),
  });
  try {
    for (let chunk = await reader.read(); !chunk.done && first === null; chunk = await reader.read()) feed(chunk.value);
  } catch {
    // the request's own timeout or abort: nothing came
  } finally {
    await reader.cancel().catch(() => {});
  }
  return first ?? "nothing";
}
