import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { env } from "~/env.js";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// Seconds an invocation may run on Vercel. Must equal TRPC_MAX_DURATION (default 300): Next.js reads
// only a literal here, and the production build refuses a mismatch (src/lib/function-duration.js).
// Live streams end a little earlier (sse.maxDurationMs) and the client resumes by event id.
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
