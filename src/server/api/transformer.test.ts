/**
 * Inputs are plain JSON (PRODUCT.md, Invariants: inputs carrying superjson metadata are 400):
 * the server's transformer refuses metadata before superjson revives anything, except the
 * `undefined` annotations the client itself writes.
 */
import superjson from "superjson";
import { describe, expect, it } from "vitest";

import { expectAppError } from "../../../test/support/app-errors";
import { callTrpc } from "../../../test/support/trpc-http";
import { deserializeInput } from "./transformer";
import { contextServices, type Context } from "./trpc";


const refuse = (payload: unknown) => expectAppError(Promise.resolve().then(() => deserializeInput(payload)), "INVALID_INPUT", "BAD_REQUEST");

describe("deserializeInput", () => {
  it.each([
    ["a BigInt", superjson.serialize({ limit: 5n })],
    ["a Date", superjson.serialize({ limit: new Date(0) })],
    ["a Map", superjson.serialize({ limit: new Map([[1, 2]]) })],
    ["a Set", superjson.serialize({ limit: new Set([1]) })],
    ["a RegExp", superjson.serialize({ limit: /x/ })],
    ["NaN", superjson.serialize({ limit: Number.NaN })],
    ["-0", superjson.serialize({ limit: -0 })],
    ["an Error", superjson.serialize({ limit: new Error("x") })],
    ["a repeated reference", { json: { a: {}, b: {} }, meta: { referentialEqualities: { a: ["b"] } } }],
    ["a custom type", { json: { limit: "x" }, meta: { values: { limit: [["custom", "Decimal"]] } } }],
    ["an annotation with children", { json: { a: {} }, meta: { values: { a: ["undefined", { b: ["bigint"] }] } } }],
    ["an undefined annotation beside another", { json: { a: null, b: "1" }, meta: { values: { a: ["undefined"], b: ["bigint"] } } }],
    ["metadata that is null", { json: { limit: 5 }, meta: null }],
    ["metadata with keys of its own", { json: { limit: 5 }, meta: { values: { limit: ["undefined"] }, extra: 1 } }],
    ["a version that is not a number", { json: null, meta: { values: ["undefined"], v: "1" } }],
  ])("refuses %s with INVALID_INPUT", async (_, payload) => {
    await refuse(payload);
  });

  it("refuses a ten-million-digit BigInt at once, without reviving it", async () => {
    const payload = { json: { limit: "9".repeat(10_000_000) }, meta: { values: { limit: ["bigint"] }, v: 1 } };
    const started = performance.now();
    await refuse(payload);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it.each([
    ["no input at all", undefined],
    ["a field set to undefined", { limit: undefined }],
    ["undefined fields beside others, nested and in arrays", { query: undefined, limit: 25, nested: { a: undefined, b: [undefined, 1] } }],
    ["plain JSON", { limit: 5 }],
  ])("takes what the client sends for %s", (_, input) => {
    expect(deserializeInput(superjson.serialize(input))).toEqual(input);
  });
});

describe("through tRPC's HTTP handler", () => {
  const ctx: Context = { ...contextServices(), session: null, headers: new Headers() };
  const top = (envelope: unknown) => callTrpc(`leaderboard.top?input=${encodeURIComponent(JSON.stringify(envelope))}`, ctx);

  it("answers an input with superjson metadata with 400 INVALID_INPUT, also where superjson would have made it valid", async () => {
    for (const envelope of [
      { json: { limit: "5" }, meta: { values: { limit: ["bigint"] } } },
      // "number" turns the string into 5: a valid input, but metadata all the same.
      { json: { limit: "5" }, meta: { values: { limit: ["number"] } } },
    ]) {
      const reply = await top(envelope);
      expect(reply.status, JSON.stringify(envelope)).toBe(400);
      expect(reply.body).toMatchObject({ error: { json: { data: { code: "BAD_REQUEST", reason: "INVALID_INPUT" } } } });
    }
  });

  it("answers inputs whose only metadata is undefined values", async () => {
    expect((await top(superjson.serialize({ limit: undefined }))).status).toBe(200);
    expect((await top(superjson.serialize(undefined))).status).toBe(200);
  });
});
