import { randomBytes } from "node:crypto";

import { ScoreboardClient } from "../test/support/client";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { PASSWORD, uniqueUsername } from "./helpers";

/**
 * The structured logs of a production instance: this file's app logs at LOG_LEVEL=info (the
 * other files' apps log warnings only) and protects /api/metrics with a token. Flows run against
 * it over HTTP; then the JSON lines it wrote are checked for request ids, user ids, latency and
 * outcome, and its whole output for secrets.
 */

const METRICS_TOKEN = "metrics-token-for-e2e-0123456789";
ownAppForThisFile({ LOG_LEVEL: "info", METRICS_TOKEN });

type LogLine = Record<string, unknown>;
const isProcedure = (line: LogLine) => line.msg === "procedure";
const requestId = (prefix: string) => `${prefix}-${randomBytes(8).toString("hex")}`;

test("procedure logs carry request id, user id, latency and outcome, and no secret", async ({ app }) => {
  const output = app.server.output;
  const from = output.lineCount;
  const username = uniqueUsername("logs");
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const client = new ScoreboardClient(app.server.url);
  const anonymous = new ScoreboardClient(app.server.url);

  // Sign up over next-auth's HTTP flow, keeping the CSRF token (the sign-in reuses it) to look for it later.
  const { csrfToken } = (await (await client.request("/api/auth/csrf")).json()) as { csrfToken: string };
  await client.signIn({ username, password, intent: "signup" });
  const userId = (await client.currentUser())!.id;
  const cookie = (name: string) => client.cookies.find((candidate) => candidate.name === name)?.value;
  const sessionCookie = cookie("next-auth.session-token");
  const csrfCookie = cookie("next-auth.csrf-token");
  expect(sessionCookie, "session cookie").toBeTruthy();
  expect(csrfCookie, "csrf cookie").toBeTruthy();

  // A wrong password once (not logged either), from another client.
  const wrongPassword = `${password}-wrong`;
  expect((await anonymous.tryCredentials({ username, password: wrongPassword, intent: "signin" })).status).toBe(401);

  // The flow: start, submit (with an upstream request id), standing, a refused admin call, an anonymous call.
  const action = await client.mutate("action.start", { actionType: "DAILY_BONUS" });
  const upstreamId = requestId("edge");
  const submission = { actionId: action.actionId, token: action.token };
  expect(await client.call("mutation", "score.submit", submission, { headers: { "x-request-id": upstreamId } })).toMatchObject({ status: 200 });
  // A forged token: refused, and the token still never logged.
  const forged = `${action.token.slice(0, action.token.lastIndexOf(".") + 1)}${randomBytes(32).toString("base64url")}`;
  expect(await client.call("mutation", "score.submit", { ...submission, token: forged })).toMatchObject({ status: 403 });
  expect(await client.query("leaderboard.me")).toMatchObject({ userId, score: 50 });
  expect(await client.call("query", "admin.users", { limit: 5 })).toMatchObject({ status: 403, error: { data: { reason: "NOT_ADMIN" } } });
  const lastId = requestId("last");
  expect(await anonymous.call("query", "leaderboard.me", undefined, { headers: { "x-request-id": lastId } })).toMatchObject({ status: 401 });

  // The app writes its lines in order on one stream: once the last call's line is read, so is every earlier one.
  await output.waitForJson((line) => isProcedure(line) && line.requestId === lastId, 10_000, from);
  const lines = output.jsonLines(from);
  const procedures = lines.filter(isProcedure);

  // Every procedure line: a request id, a path and type, a latency and an outcome.
  expect(procedures).toHaveLength(6);
  for (const line of procedures) {
    expect(line, JSON.stringify(line)).toMatchObject({
      requestId: expect.stringMatching(/^[A-Za-z0-9._-]{8,64}$/),
      path: expect.any(String),
      type: expect.stringMatching(/^(query|mutation|subscription)$/),
      durationMs: expect.any(Number),
      outcome: expect.any(String),
    });
    expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
  }
  // One request id per request.
  const ids = procedures.map((line) => line.requestId);
  expect(new Set(ids).size).toBe(ids.length);

  // The signed-in calls carry the user's id, with the outcome of each.
  const mine = procedures.filter((line) => line.userId === userId);
  expect(mine.map((line) => [line.path, line.outcome, line.reason ?? null])).toEqual([
    ["action.start", "OK", null],
    ["score.submit", "OK", null],
    ["score.submit", "FORBIDDEN", "INVALID_TOKEN"],
    ["leaderboard.me", "OK", null],
    ["admin.users", "FORBIDDEN", "NOT_ADMIN"],
  ]);
  expect(mine.find((line) => line.path === "score.submit" && line.outcome === "OK")?.requestId).toBe(upstreamId);
  // Anonymous calls have no user id.
  const anonymousLines = procedures.filter((line) => line.path === "leaderboard.me" && line.outcome === "UNAUTHORIZED");
  expect(anonymousLines).toHaveLength(1);
  expect(anonymousLines[0]).toMatchObject({ reason: "UNAUTHENTICATED" });
  expect(anonymousLines[0]!.userId).toBeUndefined();

  // Sign-in outcomes are logged with a request id.
  const signIns = lines.filter((line) => line.msg === "credentials sign-in");
  expect(signIns.map((line) => [line.intent, line.outcome])).toEqual(
    expect.arrayContaining([
      ["signup", "ok"],
      ["signin", "INVALID_CREDENTIALS"],
    ]),
  );
  for (const line of signIns) expect(line.requestId, JSON.stringify(line)).toEqual(expect.any(String));

  // No secret anywhere in what the process wrote (JSON lines or not).
  const text = output.text();
  const secrets: Record<string, string> = {
    password,
    "wrong password": wrongPassword,
    "action token": action.token,
    "action token signature": action.token.split(".").at(-1)!,
    "forged token signature": forged.split(".").at(-1)!,
    "session cookie": sessionCookie!,
    "CSRF token": csrfToken,
    "CSRF cookie": csrfCookie!,
    "CSRF cookie (decoded)": decodeURIComponent(csrfCookie!),
    AUTH_SECRET: app.env.AUTH_SECRET!,
    "Upstash token": app.env.UPSTASH_REDIS_REST_TOKEN!,
  };
  for (const [what, secret] of Object.entries(secrets)) {
    expect(secret.length, what).toBeGreaterThanOrEqual(8);
    expect(text.includes(secret), `the log output contains the ${what}`).toBe(false);
  }
});

test("board reads are answered from memory: counted in the metrics, not logged one by one", async ({ app }) => {
  const client = new ScoreboardClient(app.server.url);
  await client.signIn({ username: uniqueUsername("logs"), password: PASSWORD, intent: "signup" });
  const user = (await client.currentUser())!;
  const metricsText = async () => (await client.request("/api/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
  const topReads = async () => Number(/^scoreboard_procedure_calls_total\{path="leaderboard.top",type="query",code="OK"\} (\d+)/m.exec(await metricsText())?.[1] ?? "0");
  const before = await topReads();
  const from = app.server.output.lineCount;

  const readId = requestId("read");
  expect(await client.call("query", "leaderboard.top", { limit: 2 }, { headers: { "x-request-id": readId } })).toMatchObject({ status: 200 });
  // A later request that is logged: once its line is read, any line of the read would have been too.
  const laterId = requestId("later");
  expect(await client.call("query", "leaderboard.me", undefined, { headers: { "x-request-id": laterId } })).toMatchObject({ status: 200 });
  const later = await app.server.output.waitForJson((line) => isProcedure(line) && line.requestId === laterId, 10_000, from);
  expect(later).toMatchObject({ path: "leaderboard.me", outcome: "OK", userId: user.id });

  expect(app.server.output.jsonLines(from).filter((line) => line.requestId === readId)).toEqual([]);
  expect(await topReads()).toBe(before + 1);
});

test("a client closing its live stream is not logged as an internal error", async ({ app }) => {
  const output = app.server.output;
  const from = output.lineCount;
  const visitor = new ScoreboardClient(app.server.url);
  const liveSubscribers = async () => {
    const metrics = await visitor.request("/api/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    return Number(/^scoreboard_live_subscribers\s+(\d+)/m.exec(await metrics.text())?.[1] ?? "NaN");
  };

  const stream = await visitor.live({ limit: 3 });
  await stream.until(() => true, 10_000);
  // The visitor closes the tab.
  stream.close();

  // The server has let the stream go once its subscriber gauge is back to 0; anything it logged
  // about that was written before the line of a later request, and read once that line is.
  await expect.poll(liveSubscribers, { message: "the stream ended on the server" }).toBe(0);
  const laterId = requestId("later");
  await visitor.call("query", "leaderboard.me", undefined, { headers: { "x-request-id": laterId } });
  await output.waitForJson((line) => isProcedure(line) && line.requestId === laterId, 10_000, from);

  const errors = output.jsonLines(from).filter((line) => typeof line.level === "number" && line.level >= 50);
  expect(errors.map((line) => `${String(line.msg)} ${String(line.path)}: ${String(line.stack ?? "").split("\n")[0]}`)).toEqual([]);
});

test("with METRICS_TOKEN set, /api/metrics wants that bearer token, and its output never quotes it", async ({ app }) => {
  const client = new ScoreboardClient(app.server.url);
  for (const authorization of [undefined, "Bearer wrong-token-0123456789abcdef", `Basic ${METRICS_TOKEN}`]) {
    const refused = await client.request("/api/metrics", { headers: authorization ? { authorization } : {} });
    expect(refused.status, authorization ?? "no authorization").toBe(401);
  }
  const allowed = await client.request("/api/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(allowed.status).toBe(200);
  const text = await allowed.text();
  expect(text).toContain("scoreboard_live_subscribers");
  expect(text).not.toContain(METRICS_TOKEN);
});
