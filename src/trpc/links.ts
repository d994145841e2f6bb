import { httpBatchLink, httpSubscriptionLink, loggerLink, splitLink, type TRPCLink } from "@trpc/client";
import SuperJSON from "superjson";

import { MAX_BATCH_CALLS } from "~/lib/request-limits";
import type { AppRouter } from "~/server/api/root";

/** The browser client's links to the API at `baseUrl`: subscriptions over SSE, everything else batched. */
export function appLinks(baseUrl: string): TRPCLink<AppRouter>[] {
  return [
    loggerLink({
      enabled: (op) => process.env.NODE_ENV === "development" || (op.direction === "down" && op.result instanceof Error),
    }),
    splitLink({
      condition: (op) => op.type === "subscription",
      true: httpSubscriptionLink({ url: `${baseUrl}/api/trpc`, transformer: SuperJSON }),
      // Not httpBatchStreamLink: no procedure here streams its answer, and a streamed (JSON
      // lines) answer passes through several web-stream stages on the server for nothing.
      false: httpBatchLink({
        url: `${baseUrl}/api/trpc`,
        transformer: SuperJSON,
        // The server refuses larger batches; more calls at once go out as several requests.
        maxItems: MAX_BATCH_CALLS,
        headers: () => ({ "x-trpc-source": "nextjs-react" }),
      }),
    }),
  ];
}
