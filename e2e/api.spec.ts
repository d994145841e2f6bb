import { expect, test } from "@playwright/test";

import { PASSWORD, signInOverHttp, trpcQuery, uniqueUsername } from "./helpers";

test("GET /api/health reports Postgres and Redis with their latency", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  const body = await response.json();
  expect(body.status).toBe("ok");
  expect(body.db).toMatchObject({ status: "ok", latencyMs: expect.any(Number) });
  expect(body.redis).toMatchObject({ status: "ok", latencyMs: expect.any(Number) });
});

test("next-auth's HTTP flow signs up, then signs in, and the session reaches tRPC", async ({ playwright, baseURL }) => {
  const username = uniqueUsername("http");

  const signup = await playwright.request.newContext({ baseURL });
  const created = await signInOverHttp(signup, { username, password: PASSWORD, intent: "signup" });
  expect(created.status()).toBe(200);
  const session = await (await signup.get("/api/auth/session")).json();
  expect(session.user).toMatchObject({ username, name: username, role: "user" });
  expect(session.user.id).toMatch(/^[0-9a-f-]{36}$/);
  await signup.dispose();

  const client = await playwright.request.newContext({ baseURL });
  const signedIn = await signInOverHttp(client, { username, password: PASSWORD, intent: "signin" });
  expect(signedIn.status()).toBe(200);
  const cookies = await client.storageState();
  expect(cookies.cookies.map((cookie) => cookie.name)).toContain("next-auth.session-token");

  const me = await trpcQuery(client, "leaderboard.me");
  expect(me.status).toBe(200);
  expect(me.body.result?.data.json).toMatchObject({ displayName: username, score: 0, hidden: false, rank: expect.any(Number) });
  await client.dispose();
});

test("a wrong password gets no session", async ({ playwright, baseURL }) => {
  const username = uniqueUsername("http");
  const client = await playwright.request.newContext({ baseURL });
  await signInOverHttp(client, { username, password: PASSWORD, intent: "signup" });
  await client.post("/api/auth/signout", { form: { csrfToken: (await (await client.get("/api/auth/csrf")).json()).csrfToken, json: "true" } });

  const attempt = await signInOverHttp(client, { username, password: "wrong password!", intent: "signin" });
  expect(attempt.status()).toBe(401);
  expect((await attempt.json()).url).toContain("error=CredentialsSignin");
  expect(await (await client.get("/api/auth/session")).json()).toEqual({});
  await client.dispose();
});

test("errors carry the spec's code and reason", async ({ request }) => {
  const anonymous = await trpcQuery(request, "leaderboard.me");
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error?.json.data).toMatchObject({ code: "UNAUTHORIZED", reason: "UNAUTHENTICATED" });

  const tooMany = await trpcQuery(request, "leaderboard.top", { limit: 1000 });
  expect(tooMany.status).toBe(400);
  expect(tooMany.body.error?.json.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
  expect(tooMany.body.error?.json.data.fieldErrors?.limit?.length).toBeGreaterThan(0);

  const top = await trpcQuery(request, "leaderboard.top", { limit: 5 });
  expect(top.status).toBe(200);
  expect(top.body.result?.data.json).toMatchObject({ entries: expect.any(Array), version: expect.any(Number) });
});

test("GET /api/metrics serves Prometheus text about the product", async ({ request }) => {
  await trpcQuery(request, "leaderboard.top", { limit: 3 });
  const response = await request.get("/api/metrics");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/plain");
  const text = await response.text();
  expect(text).toMatch(/scoreboard_procedure_calls_total\{path="leaderboard.top",type="query",code="OK"\} [1-9]/);
  expect(text).toContain("scoreboard_live_subscribers");
  expect(text).toContain("process_resident_memory_bytes");
});
