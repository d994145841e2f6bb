import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { env } from "~/env.js";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// Live streams end before this (sse.maxDurationMs in src/server/api/trpc.ts) and resume by event id.
export const maxDuration = 300;

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createTRPCContext({ headers: req.headers }),
    onError:
      env.NODE_ENV === "development"
        ? ({ path, error }) => console.error(`tRPC failed on ${path ?? "<no-path>"}: ${error.message}`)
        : ({ path, error }) => {
            if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC internal error on ${path ?? "<no-path>"}`, error);
          },
  });
}

export { handler as GET, handler as POST };
