/**
 * The browser client's links (./links.ts) against the app's router over tRPC's HTTP handler,
 * bounded as the route bounds it: however many calls a page makes at once, no batch is over
 * the server's limit, and what the client writes for omitted or undefined inputs is accepted.
 */
import { createTRPCClient } from "@trpc/client";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterEach, describe, expect, it, vi } from "vitest";

import { MAX_BATCH_CALLS } from "~/lib/request-limits";
import { contextServices, type Context } from "~/server/api/trpc";
import { appRouter, type AppRouter } from "~/server/api/root";
import { appLinks } from "./links";


const ctx: Context = { ...contextServices(), session: null, headers: new Headers() };

/** A client on the app's links whose requests reach the router; `batches` holds each request's number of calls. */
function client() {
  const batches: number[] = [];
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    batches.push(new URL(req.url).pathname.split("/").at(-1)!.split(",").length);
    return fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, maxBatchSize: MAX_BATCH_CALLS, createContext: () => ctx });
  });
  return { api: createTRPCClient<AppRouter>({ links: appLinks("http://localhost") }), batches };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the browser's links", () => {
  it(`send at most ${MAX_BATCH_CALLS} calls per request, however many are made at once`, async () => {
    const { api, batches } = client();
    const boards = await Promise.all(Array.from({ length: 2 * MAX_BATCH_CALLS + 5 }, (_, index) => api.leaderboard.top.query({ limit: 1 + (index % 5) })));
    expect(boards.map((board) => board.entries.length <= 5)).not.toContain(false);
    expect(batches).toEqual([MAX_BATCH_CALLS, MAX_BATCH_CALLS, 5]);
  });

  it("send omitted and undefined inputs in a form the server accepts", async () => {
    const { api } = client();
    const [omitted, undefinedField] = await Promise.all([api.leaderboard.top.query(), api.leaderboard.top.query({ limit: undefined })]);
    expect(omitted.entries).toEqual(undefinedField.entries);
  });
});
