import { startAppServer } from "../test/support/app-server";
import { ScoreboardClient } from "../test/support/client";
import { decodeReply, queryPath, type OutputOf } from "../test/support/wire";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { PASSWORD, uniqueUsername } from "./helpers";

ownAppForThisFile();

test("GET /api/health reports Postgres and Redis with their latency", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  const body = await response.json();
  expect(body.status).toBe("ok");
  expect(body.db).toMatchObject({ status: "ok", latencyMs: expect.any(Number) });
  expect(body.redis).toMatchObject({ status: "ok", latencyMs: expect.any(Number) });
});

test("next-auth's HTTP flow signs up, then signs in, and the session reaches tRPC", async ({ baseURL }) => {
  const username = uniqueUsername("http");

  const signup = new ScoreboardClient(baseURL!);
  await signup.signIn({ username, password: PASSWORD, intent: "signup" });
  const user = await signup.currentUser();
  expect(user).toMatchObject({ username, name: username, role: "user" });
  expect(user!.id).toMatch(/^[0-9a-f-]{36}$/);

  const client = new ScoreboardClient(baseURL!);
  await client.signIn({ username, password: PASSWORD, intent: "signin" });
  expect(client.cookies.map((cookie) => cookie.name)).toContain("next-auth.session-token");
  expect(await client.query("leaderboard.me")).toMatchObject({ displayName: username, score: 0, hidden: false, rank: expect.any(Number) });
});

test("a wrong password gets no session", async ({ baseURL }) => {
  const username = uniqueUsername("http");
  await new ScoreboardClient(baseURL!).signIn({ username, password: PASSWORD, intent: "signup" });

  const client = new ScoreboardClient(baseURL!);
  expect(await client.tryCredentials({ username, password: "wrong password!", intent: "signin" })).toEqual({
    status: 401,
    error: "CredentialsSignin",
  });
  expect(client.cookies.map((cookie) => cookie.name)).not.toContain("next-auth.session-token");
  expect(await client.currentUser()).toBeNull();
});

test("errors carry the spec's code and reason", async ({ baseURL }) => {
  const client = new ScoreboardClient(baseURL!);
  expect(await client.call("query", "leaderboard.me")).toMatchObject({
    status: 401,
    error: { data: { code: "UNAUTHORIZED", reason: "UNAUTHENTICATED" } },
  });
  expect(await client.call("query", "leaderboard.top", { limit: 1000 })).toMatchObject({
    status: 400,
    error: { data: { code: "BAD_REQUEST", reason: "INVALID_INPUT", fieldErrors: { limit: expect.arrayContaining([expect.any(String)]) } } },
  });
  expect(await client.call("query", "leaderboard.top", { limit: 5 })).toMatchObject({
    status: 200,
    data: { entries: expect.any(Array), version: expect.any(Number) },
  });
});

test("GET /api/metrics serves Prometheus text about the product to METRICS_TOKEN's bearer", async ({ baseURL, app }) => {
  const client = new ScoreboardClient(baseURL!);
  await client.query("leaderboard.top", { limit: 3 });
  const response = await client.request("/api/metrics", { headers: { authorization: `Bearer ${app.env.METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const text = await response.text();
  expect(text).toMatch(/scoreboard_procedure_calls_total\{path="leaderboard.top",type="query",code="OK"\} [1-9]/);
  expect(text).toContain("scoreboard_live_subscribers");
  expect(text).toContain("process_resident_memory_bytes");
});

test("in production without METRICS_TOKEN, GET /api/metrics does not exist (404), bearer or not", async ({ app }) => {
  test.setTimeout(90_000);
  const server = await startAppServer({ env: { ...app.env, METRICS_TOKEN: "" } });
  try {
    const client = new ScoreboardClient(server.url);
    for (const authorization of [undefined, `Bearer ${app.env.METRICS_TOKEN}`]) {
      const response = await client.request("/api/metrics", { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain("scoreboard_");
    }
  } finally {
    await server.stop();
  }
});

test("npm start on the local bridge says on stderr that it is for development only", async ({ app }) => {
  const output = app.server.output.text();
  expect(output).toContain("local Upstash bridge");
  expect(output).toContain("development only");
  expect(output).not.toContain(app.env.UPSTASH_REDIS_REST_TOKEN!);
});

test("anonymous board reads are publicly cacheable with an ETag and revalidate to 304; what depends on the session is never", async ({ baseURL }) => {
  const player = new ScoreboardClient(baseURL!);
  await player.signIn({ username: uniqueUsername("cache"), password: PASSWORD, intent: "signup" });
  const visitor = new ScoreboardClient(baseURL!);
  const path = queryPath("leaderboard.top", { limit: 5 });

  const first = await visitor.request(path);
  expect(first.status).toBe(200);
  expect(first.headers.get("cache-control")).toMatch(/^public, s-maxage=1, stale-while-revalidate=\d+$/);
  const etag = first.headers.get("etag");
  expect(etag).toMatch(/^"[^"]+"$/);
  const board = decodeReply<OutputOf<"leaderboard.top">>(first.status, await first.text());
  expect(board.ok && board.data.entries.map((entry) => entry.userId)).toContain((await player.currentUser())!.id);

  // A poller holding the current board gets 304 and no body.
  const unchanged = await visitor.request(path, { headers: { "if-none-match": etag! } });
  expect(unchanged.status).toBe(304);
  expect(await unchanged.text()).toBe("");
  expect(unchanged.headers.get("etag")).toBe(etag);

  // Once the board changes, the same ETag gets the new board.
  await player.mutate("account.update", { displayName: "renamed for the cache test" });
  const changed = await visitor.request(path, { headers: { "if-none-match": etag! } });
  expect(changed.status).toBe(200);
  expect(changed.headers.get("etag")).not.toBe(etag);
  expect(await changed.text()).toContain("renamed for the cache test");

  // Session-dependent answers, and errors, are for the browser that asked only.
  for (const response of [await player.request(queryPath("leaderboard.me")), await visitor.request(queryPath("leaderboard.me")), await visitor.request(queryPath("leaderboard.top", { limit: 1000 }))]) {
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("etag")).toBeNull();
  }
});
