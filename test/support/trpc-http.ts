import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter } from "~/server/api/root";
import type { Context } from "~/server/api/trpc";

export type Reply = { status: number; text: string; body: unknown };

/** Calls the real tRPC HTTP handler with a hand-built context, as the route handler would. */
export async function callTrpc(pathAndQuery: string, ctx: Context, init?: RequestInit): Promise<Reply> {
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(`http://localhost/api/trpc/${pathAndQuery}`, init),
    router: appRouter,
    createContext: () => ctx,
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${response.status} answer is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: response.status, text, body };
}
