import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";

import { expect, test, type APIRequestContext } from "@playwright/test";

import { freePort } from "../test/support/ports";
import { sharedAppEnv } from "./app-server";
import { trpcMutation, trpcQuery, uniqueUsername } from "./helpers";

/**
 * The structured logs of a production instance: an app of its own with LOG_LEVEL=info (the run's
 * main instance logs warnings only), started like e2e/app-server.ts does but with stdout captured.
 * A full flow runs against it over HTTP; then every JSON line it wrote is checked for request ids,
 * user ids, latency and outcome, and the whole output for secrets.
 */

type LogLine = Record<string, unknown> & { msg?: string; requestId?: string; userId?: string };

type CapturedServer = { url: string; output: () => string; stop: () => Promise<void> };

/** `npm start` with stdout and stderr piped into memory; resolves once /api/health answers. */
async function startCapturedServer(env: Record<string, string>): Promise<CapturedServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const server: ChildProcess = spawn("npm", ["start"], {
    env: { ...process.env, ...env, PORT: String(port), NEXTAUTH_URL: url },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so stop() ends npm, the launcher and Next.js together.
    detached: true,
  });
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  /** Ends the whole process group (npm exits at once; Next.js finishes open requests first) and waits for it. */
  const stop = async () => {
    const pid = server.pid;
    const alive = () => {
      try {
        process.kill(-pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (!pid || !alive()) return;
    process.kill(-pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (alive()) {
      if (Date.now() > deadline) {
        process.kill(-pid, "SIGKILL");
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the app exited with ${server.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${url} was not healthy within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, output: () => output, stop };
}

function jsonLines(output: string): LogLine[] {
  return output
    .split("\n")
    .filter((line) => line.trim().startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

const procedureLines = (output: string) => jsonLines(output).filter((line) => line.msg === "procedure");

let server: CapturedServer;
/** This instance protects /api/metrics (the main e2e instance leaves it open). */
const METRICS_TOKEN = "metrics-token-for-e2e-0123456789";

test.beforeAll(async () => {
  test.setTimeout(90_000);
  server = await startCapturedServer({ ...sharedAppEnv(), LOG_LEVEL: "info", METRICS_TOKEN });
});

test.afterAll(async () => {
  await server?.stop();
});

test("procedure logs carry request id, user id, latency and outcome, and no secret", async ({ playwright }) => {
  test.setTimeout(60_000);
  const username = uniqueUsername("logs");
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const client: APIRequestContext = await playwright.request.newContext({ baseURL: server.url });
  const anonymous: APIRequestContext = await playwright.request.newContext({ baseURL: server.url });
  try {
    // Sign up over next-auth's HTTP flow, keeping the CSRF token to look for it later.
    const csrf = (await (await client.get("/api/auth/csrf")).json()) as { csrfToken: string };
    const signup = await client.post("/api/auth/callback/credentials", {
      form: { csrfToken: csrf.csrfToken, username, password, intent: "signup", json: "true" },
      maxRedirects: 0,
    });
    expect(signup.status()).toBe(200);
    const session = (await (await client.get("/api/auth/session")).json()) as { user: { id: string } };
    const userId = session.user.id;
    const cookies = (await client.storageState()).cookies;
    const sessionCookie = cookies.find((cookie) => cookie.name === "next-auth.session-token")?.value;
    const csrfCookie = cookies.find((cookie) => cookie.name === "next-auth.csrf-token")?.value;
    expect(sessionCookie, "session cookie").toBeTruthy();
    expect(csrfCookie, "csrf cookie").toBeTruthy();

    // A wrong password once (not logged either), from another client.
    const strangerCsrf = (await (await anonymous.get("/api/auth/csrf")).json()) as { csrfToken: string };
    const wrongPassword = `${password}-wrong`;
    const wrong = await anonymous.post("/api/auth/callback/credentials", {
      form: { csrfToken: strangerCsrf.csrfToken, username, password: wrongPassword, intent: "signin", json: "true" },
      maxRedirects: 0,
    });
    expect(wrong.status()).toBe(401);

    // The flow: start, submit (with an upstream request id), standing, a refused admin call, a public read.
    const start = await trpcMutation(client, "action.start", { actionType: "DAILY_BONUS" });
    expect(start.status).toBe(200);
    const action = start.body.result!.data.json as { actionId: string; token: string };
    const upstreamId = `edge-${randomBytes(8).toString("hex")}`;
    const submitResponse = await client.post("/api/trpc/score.submit", {
      data: { json: { actionId: action.actionId, token: action.token } },
      headers: { "x-request-id": upstreamId },
    });
    expect(submitResponse.status()).toBe(200);
    // A forged token: refused, and the token still never logged.
    const forged = `${action.token.slice(0, action.token.lastIndexOf(".") + 1)}${randomBytes(32).toString("base64url")}`;
    const forgedSubmit = await trpcMutation(client, "score.submit", { actionId: action.actionId, token: forged });
    expect(forgedSubmit.status).toBe(403);
    const me = await trpcQuery(client, "leaderboard.me");
    expect(me.status).toBe(200);
    expect(me.body.result?.data.json).toMatchObject({ userId, score: 50 });
    const adminCall = await trpcQuery(client, "admin.users", { limit: 5 });
    expect(adminCall.status).toBe(403);
    expect(adminCall.body.error?.json.data.reason).toBe("NOT_ADMIN");
    const anonymousMe = await trpcQuery(anonymous, "leaderboard.me");
    expect(anonymousMe.status).toBe(401);
    const top = await trpcQuery(anonymous, "leaderboard.top", { limit: 3 });
    expect(top.status).toBe(200);

    // Every call above has its line (pino writes synchronously; the pipe may lag a little).
    await expect
      .poll(() => procedureLines(server.output()).filter((line) => line.userId === userId && line.path === "admin.users").length)
      .toBe(1);
    const lines = jsonLines(server.output());
    const procedures = lines.filter((line) => line.msg === "procedure");
    const mine = procedures.filter((line) => line.userId === userId);

    // Every procedure line: a request id, a path and type, a latency and an outcome.
    expect(procedures.length).toBeGreaterThanOrEqual(7);
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
    const summary = mine.map((line) => [line.path, line.outcome, line.reason ?? null]);
    expect(summary).toEqual([
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
    const output = server.output();
    const secrets: Record<string, string> = {
      password,
      "wrong password": wrongPassword,
      "action token": action.token,
      "action token signature": action.token.split(".").at(-1)!,
      "forged token signature": forged.split(".").at(-1)!,
      "session cookie": sessionCookie!,
      "CSRF token": csrf.csrfToken,
      "CSRF cookie": csrfCookie!,
      "CSRF cookie (decoded)": decodeURIComponent(csrfCookie!),
      AUTH_SECRET: sharedAppEnv().AUTH_SECRET!,
      "Upstash token": sharedAppEnv().UPSTASH_REDIS_REST_TOKEN!,
    };
    for (const [what, secret] of Object.entries(secrets)) {
      expect(secret.length, what).toBeGreaterThanOrEqual(8);
      expect(output.includes(secret), `the log output contains the ${what}`).toBe(false);
    }
    console.log(`sample of the captured log lines:\n${lines.filter((line) => line.userId === userId || line.msg === "credentials sign-in").slice(0, 8).map((line) => JSON.stringify(line)).join("\n")}`);
  } finally {
    await client.dispose();
    await anonymous.dispose();
  }
});

test("a signed-in call to a public procedure is logged with the user's id", async ({ playwright }) => {
  const username = uniqueUsername("logs");
  const client = await playwright.request.newContext({ baseURL: server.url });
  try {
    const csrf = (await (await client.get("/api/auth/csrf")).json()) as { csrfToken: string };
    const signup = await client.post("/api/auth/callback/credentials", {
      form: { csrfToken: csrf.csrfToken, username, password: "correct horse battery", intent: "signup", json: "true" },
      maxRedirects: 0,
    });
    expect(signup.status()).toBe(200);
    const { user } = (await (await client.get("/api/auth/session")).json()) as { user: { id: string } };
    const requestId = `pub-${randomBytes(8).toString("hex")}`;
    const response = await client.get(`/api/trpc/leaderboard.top?input=${encodeURIComponent(JSON.stringify({ json: { limit: 2 } }))}`, {
      headers: { "x-request-id": requestId },
    });
    expect(response.status()).toBe(200);
    await expect.poll(() => procedureLines(server.output()).filter((line) => line.requestId === requestId).length).toBe(1);
    const [line] = procedureLines(server.output()).filter((candidate) => candidate.requestId === requestId);
    // README (Logs): "`userId` when signed in"; src/server/observability/logger.ts: "every line inside a request carries its request id and user id".
    expect(line, JSON.stringify(line)).toMatchObject({ path: "leaderboard.top", outcome: "OK", userId: user.id });
  } finally {
    await client.dispose();
  }
});

test("a client closing its live stream is not logged as an internal error", async () => {
  const before = jsonLines(server.output()).length;
  const controller = new AbortController();
  const input = encodeURIComponent(JSON.stringify({ json: { limit: 3 } }));
  const response = await fetch(`${server.url}/api/trpc/leaderboard.live?input=${input}`, {
    headers: { accept: "text/event-stream" },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toContain("data:");
  // The visitor closes the tab.
  controller.abort();
  await reader.cancel().catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const after = jsonLines(server.output()).slice(before);
  const errors = after.filter((line) => typeof line.level === "number" && line.level >= 50);
  expect(errors.map((line) => `${String(line.msg)} ${String(line.path)}: ${String(line.stack ?? "").split("\n")[0]}`)).toEqual([]);
});

test("with METRICS_TOKEN set, /api/metrics wants that bearer token, and its output never quotes it", async ({ playwright }) => {
  const client = await playwright.request.newContext({ baseURL: server.url });
  for (const authorization of [undefined, "Bearer wrong-token-0123456789abcdef", `Basic ${METRICS_TOKEN}`]) {
    const refused = await client.get("/api/metrics", { headers: authorization ? { authorization } : {} });
    expect(refused.status()).toBe(401);
  }
  const allowed = await client.get("/api/metrics", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(allowed.status()).toBe(200);
  const text = await allowed.text();
  expect(text).toContain("scoreboard_live_subscribers");
  expect(text).not.toContain(METRICS_TOKEN);
  await client.dispose();
});
