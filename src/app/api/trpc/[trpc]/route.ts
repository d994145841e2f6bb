import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { logger } from "~/server/observability";
import { runInRequest } from "~/server/observability/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// Live streams end before this (sse.maxDurationMs in src/server/api/trpc.ts) and resume by event id.
export const maxDuration = 300;

function handler(req: Request) {
  return runInRequest(req.headers, () =>
    fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      createContext: () => createTRPCContext({ headers: req.headers }),
      onError: ({ path, error }) => {
        // Procedure outcomes are logged by the observe middleware; this adds the stack of a crash.
        if (error.code === "INTERNAL_SERVER_ERROR") logger.error({ path, stack: error.stack }, "internal error");
      },
    }),
  );
}

export { handler as GET, handler as POST };
