/**
 * A player's standing reads (leaderboard.me, leaderboard.around) answered on Node's response
 * (./node-answers.ts), over real HTTP with the app's real services and real session cookies: the
 * same bytes tRPC answers, and everything tRPC must answer handed on to it. The server here stands
 * in for `next start` with the instrumentation hook: what answerOnNode does not take, or hands on,
 * goes to tRPC's HTTP handler with the session the route handler would read.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { signUp, type SessionUser } from "~/server/auth/accounts";
import { readSession } from "~/server/auth/session";
import { cookiesOfHeader, SESSION_COOKIE_NAME } from "~/server/auth/session-cookie";
import { services } from "~/server/composition-root";
import { adjustScore } from "~/server/scoring/score-service";
import { sessionToken } from "../../../../test/support/session-cookie";
import { rootAdmin, TEST_PASSWORD } from "../../../../test/support/users";
import { appRouter } from "../root";
import { contextServices } from "../trpc";
import { answerOnNode, standingReader, type NodeAnswerDeps } from "./node-answers";

const { db, scoreDeps, leaderboard } = services;

/** Who answered a request: tRPC's handler marks its answers. */
const ANSWERED_BY_TRPC = "x-test-answered-by-trpc";

async function tRPCAnswer(url: string, cookie: string | undefined) {
  const headers = new Headers(cookie ? { cookie } : {});
  const session = await readSession(cookiesOfHeader(cookie));
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(`http://localhost${url}`, { headers }),
    router: appRouter,
    createContext: () => ({ ...contextServices(), session, headers }),
  });
  return { status: response.status, body: await response.text() };
}

async function handOnToTrpc(req: IncomingMessage, res: ServerResponse) {
  const { status, body } = await tRPCAnswer(req.url!, req.headers.cookie);
  res.writeHead(status, { "content-type": "application/json", [ANSWERED_BY_TRPC]: "1" }).end(body);
}

const recorded: { path: string; code: string }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const deps = {
    standing: { readSession, read: standingReader(leaderboard), recordCall: (call: { path: string; code: string }) => void recorded.push(call) },
  } as Pick<NodeAnswerDeps, "standing"> as NodeAnswerDeps;
  server = createServer((req, res) => {
    const passOn = () => void handOnToTrpc(req, res);
    if (!answerOnNode(deps, req, res, passOn)) passOn();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, "close");
});

async function player(name: string, score: number): Promise<SessionUser> {
  const result = await signUp(db, { username: name, password: TEST_PASSWORD });
  if (!result.ok) throw new Error(`sign-up failed: ${result.reason}`);
  const adjusted = await adjustScore(scoreDeps, { actorId: (await rootAdmin()).id, userId: result.user.id, delta: score, reason: "standing on Node", ip: null, userAgent: null });
  expect(adjusted.ok).toBe(true);
  return result.user;
}

async function cookieFor(user: Pick<SessionUser, "id" | "username" | "role">, maxAge = 3600, claims: Record<string, unknown> = {}) {
  return `${SESSION_COOKIE_NAME}=${await sessionToken(user, env.AUTH_SECRET!, claims, maxAge, env.DEPLOYMENT_ENVIRONMENT)}`;
}

/** The browser's GET: one call, or a batch of calls (httpBatchLink). */
function pathOf(calls: [string, unknown][], batch = calls.length > 1) {
  const paths = calls.map(([path]) => path).join(",");
  if (!batch) return `/api/trpc/${paths}?input=${encodeURIComponent(JSON.stringify({ json: calls[0]![1] }))}`;
  const input = Object.fromEntries(calls.map(([, value], index) => [index, { json: value }]));
  return `/api/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

async function get(path: string, cookie?: string) {
  const response = await fetch(`${base}${path}`, { headers: cookie ? { cookie } : {} });
  return { status: response.status, headers: response.headers, body: await response.text(), byTrpc: response.headers.has(ANSWERED_BY_TRPC) };
}

describe("a player's standing reads on Node's response", () => {
  it.each([
    ["me", [["leaderboard.me", { window: "all" }]]],
    ["around", [["leaderboard.around", { radius: 1 }]]],
    ["me and around batched, as the page sends them", [["leaderboard.me", { window: "day" }], ["leaderboard.around", { window: "day" }]]],
    ["me alone in a batch", [["leaderboard.me", {}]], true],
  ] as [string, [string, unknown][], boolean?][])("answers %s with tRPC's bytes, private", async (_, calls, batch) => {
    const me = await player(`node_standing_${randomUUID().slice(0, 8)}`, 700);
    const cookie = await cookieFor(me);
    const path = pathOf(calls, batch);
    recorded.length = 0;
    const answer = await get(path, cookie);
    expect(answer.byTrpc).toBe(false);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("private, no-store");
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.body).toBe((await tRPCAnswer(path, cookie)).body);
    expect(answer.body).toContain(me.id);
    expect(recorded).toEqual(calls.map(([callPath]) => expect.objectContaining({ path: callPath, code: "OK" })));
  });

  it("hands on what tRPC must answer: signed out, a bad or expired session, one naming nobody, a user no longer there", async () => {
    const path = pathOf([["leaderboard.me", {}]]);
    const signedOut = await get(path);
    expect(signedOut).toMatchObject({ byTrpc: true, status: 401 });
    expect(signedOut.body).toContain("UNAUTHENTICATED");
    const forged = await get(path, `${SESSION_COOKIE_NAME}=not-a-token`);
    expect(forged).toMatchObject({ byTrpc: true, status: 401 });
    const me = await player(`node_standing_${randomUUID().slice(0, 8)}`, 5);
    expect(await get(path, await cookieFor(me, -60))).toMatchObject({ byTrpc: true, status: 401 });
    expect(await get(path, await cookieFor(me, 3600, { sub: "" }))).toMatchObject({ byTrpc: true, status: 401 });
    const gone = await get(path, await cookieFor({ id: randomUUID(), username: "nobody_here", role: "user" }));
    expect(gone).toMatchObject({ byTrpc: true, status: 404 });
    expect(gone.body).toContain("NOT_FOUND");
  });

  it.each([
    ["an invalid input", pathOf([["leaderboard.around", { radius: 0 }]]), 400],
    ["a field no procedure takes", pathOf([["leaderboard.around", { userId: randomUUID() }]]), 400],
    ["a finished period by name", pathOf([["leaderboard.me", { window: "day", period: "2026-11-02" }]]), 200],
    ["a batch with another procedure", pathOf([["leaderboard.me", {}], ["leaderboard.top", {}]]), 200],
    ["a batch of one sent without batch=1", `/api/trpc/leaderboard.me,leaderboard.around?input=${encodeURIComponent("{}")}`, 404],
  ])("leaves %s to tRPC", async (_, path, status) => {
    const me = await player(`node_standing_${randomUUID().slice(0, 8)}`, 9);
    const answer = await get(path, await cookieFor(me));
    expect(answer.byTrpc).toBe(true);
    expect(answer.status).toBe(status);
  });
});
