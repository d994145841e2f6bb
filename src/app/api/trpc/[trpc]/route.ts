import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { MAX_BATCH_CALLS } from "~/lib/request-limits";
import { boardHttp } from "~/server/api/board";
import { AppError } from "~/server/api/errors";
import { appRouter } from "~/server/api/root";
import { createTRPCContext, errorAnswer } from "~/server/api/trpc";
import { logger } from "~/server/observability";
import { runInRequest } from "~/server/observability/request-context";
import { BODY_TOO_LARGE_MESSAGE, withBoundedBody } from "~/server/api/request-body";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// Seconds an invocation may run on Vercel: the one setting of the function's duration (Next.js reads
// only a literal here). Live streams end earlier (SSE_SETTINGS.maxDurationMs, held below this by
// route.test.ts) and the client resumes by event id.
export const maxDuration = 300;

async function handler(req: Request) {
  // Every viewer asks the same of leaderboard.top and leaderboard.live: answered once per board.
  const boardAnswer = await boardHttp.handle(req);
  if (boardAnswer) return boardAnswer;
  const bounded = await withBoundedBody(req);
  if (!bounded) return payloadTooLarge();
  const response = await runInRequest(req.headers, () =>
    fetchRequestHandler({
      endpoint: "/api/trpc",
      req: bounded,
      router: appRouter,
      maxBatchSize: MAX_BATCH_CALLS,
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

/** 413 in tRPC's error shape. Node discards what is left of the body (closing instead would race the answer). */
function payloadTooLarge() {
  const { status, body } = errorAnswer(new AppError("PAYLOAD_TOO_LARGE", BODY_TOO_LARGE_MESSAGE));
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

export { handler as GET, handler as POST };
