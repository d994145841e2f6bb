/**
 * Bounded work per request (PRODUCT.md, Invariants) through `next start`: batches of at most 10
 * calls, bodies of at most 64 KiB on the tRPC and next-auth routes, inputs without superjson
 * metadata. Live streams per client IP: e2e/live-limits.spec.ts.
 */
import superjson from "superjson";

import { MAX_BATCH_CALLS, MAX_BODY_BYTES } from "../src/lib/request-limits";
import { ScoreboardClient } from "../test/support/client";
import { postUntilAnswered } from "../test/support/raw-http";
import { decodeReply } from "../test/support/wire";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { PASSWORD, uniqueUsername } from "./helpers";

ownAppForThisFile();

const batch = (path: string, calls: number) => `/api/trpc/${Array<string>(calls).fill(path).join(",")}?batch=1`;
const batchInput = (calls: number, input: unknown) => JSON.stringify(Object.fromEntries(Array.from({ length: calls }, (_, index) => [index, superjson.serialize(input)])));

async function errorData(response: Response) {
  const reply = decodeReply(response.status, await response.text());
  return { status: response.status, data: reply.ok ? null : reply.error.data };
}

test(`a batch of more than ${MAX_BATCH_CALLS} calls is 400 INVALID_INPUT, by GET (the board's too) and by POST; ${MAX_BATCH_CALLS} are answered`, async ({ baseURL }) => {
  const client = new ScoreboardClient(baseURL!);
  const reads = (calls: number) => client.request(`${batch("leaderboard.top", calls)}&input=${encodeURIComponent(batchInput(calls, { limit: 3 }))}`);

  const answered = await reads(MAX_BATCH_CALLS);
  expect(answered.status).toBe(200);
  expect(((await answered.json()) as unknown[]).length).toBe(MAX_BATCH_CALLS);
  const invalid = { status: 400, data: { code: "BAD_REQUEST", reason: "INVALID_INPUT" } };
  expect(await errorData(await reads(MAX_BATCH_CALLS + 1))).toMatchObject(invalid);

  // Refused before anything runs: not even the session is looked at (401 for each call otherwise).
  const starts = await client.request(batch("action.start", MAX_BATCH_CALLS + 1), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: batchInput(MAX_BATCH_CALLS + 1, { actionType: "COMPLETE_TASK" }),
  });
  expect(await errorData(starts)).toMatchObject(invalid);
});

test("a tRPC body over 64 KiB is 413 PAYLOAD_TOO_LARGE before it is read to its end, declared or chunked, and changes nothing", async ({ baseURL }) => {
  const username = uniqueUsername("body");
  const player = new ScoreboardClient(baseURL!);
  await player.signIn({ username, password: PASSWORD, intent: "signup" });
  const headers = { cookie: player.cookieHeader, "content-type": "application/json" };
  const tooLarge = { code: "PAYLOAD_TOO_LARGE", httpStatus: 413, reason: "PAYLOAD_TOO_LARGE" };

  // A whole body one byte over.
  const displayName = "n".repeat(MAX_BODY_BYTES);
  const whole = await player.request("/api/trpc/account.update", { method: "POST", headers, body: JSON.stringify({ json: { displayName } }) });
  expect(await errorData(whole)).toMatchObject({ status: 413, data: tooLarge });

  for (const declared of [true, false]) {
    const answer = await postUntilAnswered(`${baseURL}/api/trpc/account.update`, {
      headers: declared ? { ...headers, "content-length": String(100 * 1024 * 1024) } : headers,
    });
    expect(answer.status, declared ? "declared" : "chunked").toBe(413);
    expect(decodeReply(answer.status, answer.text)).toMatchObject({ ok: false, error: { data: tooLarge } });
  }
  expect(await player.query("leaderboard.me")).toMatchObject({ displayName: username });

  // Just under the limit, the body reaches tRPC, which parses it and refuses the input.
  const under = await player.call("mutation", "account.update", { displayName: "n".repeat(MAX_BODY_BYTES - 100) });
  expect(under).toMatchObject({ status: 400, error: { data: { reason: "INVALID_INPUT" } } });
});

test("a next-auth body over 64 KiB is 413 before it is read to its end, and signs nobody up", async ({ baseURL }) => {
  const username = uniqueUsername("form");
  const client = new ScoreboardClient(baseURL!);
  const csrf = (await (await client.request("/api/auth/csrf")).json()) as { csrfToken: string };
  const form = new URLSearchParams({ csrfToken: csrf.csrfToken, username, password: PASSWORD, intent: "signup", json: "true", pad: "p".repeat(MAX_BODY_BYTES) });
  const whole = await client.request("/api/auth/callback/credentials", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
  expect(whole.status).toBe(413);
  expect(await whole.json()).toEqual({ error: "PAYLOAD_TOO_LARGE", message: "Request bodies are limited to 64 KiB." });

  const streamed = await postUntilAnswered(`${baseURL}/api/auth/callback/credentials`, { headers: { cookie: client.cookieHeader, "content-type": "application/x-www-form-urlencoded" } });
  expect(streamed.status).toBe(413);

  // The same form without the padding signs up: the name was free all along.
  const signup = await new ScoreboardClient(baseURL!).tryCredentials({ username, password: PASSWORD, intent: "signup" });
  expect(signup).toEqual({ status: 200, error: null });
});

test("an input carrying superjson metadata is 400 INVALID_INPUT at once; the undefined values the client writes are accepted", async ({ baseURL }) => {
  const client = new ScoreboardClient(baseURL!);
  const top = (envelope: unknown) => client.request(`/api/trpc/leaderboard.top?input=${encodeURIComponent(JSON.stringify(envelope))}`);
  // Superjson would turn "5" into 5, a valid limit: refused all the same.
  expect(await errorData(await top({ json: { limit: "5" }, meta: { values: { limit: ["number"] } } }))).toMatchObject({ status: 400, data: { reason: "INVALID_INPUT" } });
  expect((await top(superjson.serialize({ limit: undefined }))).status).toBe(200);

  // The largest BigInt a body may carry, answered without reviving it (signed in: input is read after the session).
  await client.signIn({ username: uniqueUsername("meta"), password: PASSWORD, intent: "signup" });
  const digits = "9".repeat(MAX_BODY_BYTES - 200);
  const started = performance.now();
  const bigint = await client.request("/api/trpc/action.start", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ json: { actionType: digits }, meta: { values: { actionType: ["bigint"] }, v: 1 } }),
  });
  expect(await errorData(bigint)).toMatchObject({ status: 400, data: { reason: "INVALID_INPUT" } });
  expect(performance.now() - started).toBeLessThan(2_000);
});
