import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { boardHttp } from "~/server/api/board";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { logger } from "~/server/observability";
import { runInRequest } from "~/server/observability/request-context";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// Seconds an invocation may run on Vercel. Must equal TRPC_MAX_DURATION (default 300): Next.js reads
// only a literal here, and the production build refuses a mismatch (src/lib/function-duration.js).
// Live streams end a little earlier (sse.maxDurationMs) and the client resumes by event id.
export const maxDuration = 300;

async function handler(req: Request) {
  // Every viewer asks the same of leaderboard.top and leaderboard.live: answered once per board.
  const boardAnswer = await boardHttp.handle(req);
  if (boardAnswer) return boardAnswer;
  const response = await runInRequest(req.headers, () =>
    fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      createContext: () => createTRPCContext({ headers: req.headers }),
      onError: ({ path, error }) => {
        // Procedure outcomes are logged by the observe middleware; this adds the stack of a crash.
        // A client that goes away mid-stream is not one.
        const clientLeft = ["ResponseAborted", "AbortError"].includes((error.cause as Error | undefined)?.name ?? "");
        if (error.code === "INTERNAL_SERVER_ERROR" && !clientLeft) logger.error({ path, stack: error.stack }, "internal error");
      },
    }),
  );
  // What tRPC answers depends on the session or is an error: never for a shared cache.
  if (req.method === "GET") response.headers.set("cache-control", "private, no-store");
  return response;
}

export { handler as GET, handler as POST };
