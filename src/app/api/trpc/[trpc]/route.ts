import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { logger } from "~/server/observability";
import { runInRequest } from "~/server/observability/request-context";
import { shutdownSignal } from "~/server/shutdown";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// Seconds an invocation may run on Vercel. Must equal TRPC_MAX_DURATION (default 300): Next.js reads
// only a literal here, and the production build refuses a mismatch (src/lib/function-duration.js).
// Live streams end a little earlier (sse.maxDurationMs) and the client resumes by event id.
export const maxDuration = 300;

async function handler(req: Request) {
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
  const isStream = response.headers.get("content-type")?.startsWith("text/event-stream");
  return isStream && response.body ? new Response(cutOnShutdown(response.body), response) : response;
}

/**
 * On shutdown the server waits for open requests, and live streams never finish by themselves:
 * fail them instead. The connection is dropped (not ended politely, which would let the
 * client reconnect over the same keep-alive connection to this dying process), so clients
 * reconnect, to another instance, and resume from their last event id.
 *
 * The same stream joins each event's pieces: tRPC emits an event as several small chunks (its
 * field lines, then the blank line that ends it), and Next.js writes every chunk to the socket
 * on its own. One chunk per event is one write per subscriber per board change instead of
 * three, and a pull from tRPC's reader costs fewer promises than a TransformStream stage (the
 * benchmark's live fan-out profile: web-stream plumbing and garbage collection dominated).
 */
function cutOnShutdown(body: ReadableStream<Uint8Array>) {
  const shutdown = shutdownSignal();
  const reader = body.getReader();
  let onShutdown = () => {};
  const release = () => shutdown.removeEventListener("abort", onShutdown);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onShutdown = () => {
        controller.error(shutdown.reason);
        void reader.cancel(shutdown.reason).catch(() => {});
      };
      if (shutdown.aborted) onShutdown();
      else shutdown.addEventListener("abort", onShutdown, { once: true });
    },
    async pull(controller) {
      const pieces: Uint8Array[] = [];
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          if (pieces.length > 0) controller.enqueue(Buffer.concat(pieces));
          release();
          controller.close();
          return;
        }
        pieces.push(value);
        if (endsEvent(value)) break;
      }
      controller.enqueue(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
    },
    cancel(reason) {
      release();
      return reader.cancel(reason);
    },
  });
}

/** An SSE event ends with a blank line: its last chunk ends in two newlines. */
function endsEvent(chunk: Uint8Array) {
  const NEWLINE = 10;
  return chunk.length >= 2 && chunk[chunk.length - 1] === NEWLINE && chunk[chunk.length - 2] === NEWLINE;
}

export { handler as GET, handler as POST };
