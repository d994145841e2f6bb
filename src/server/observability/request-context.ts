import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

import { processWide } from "~/server/process-wide";

/** What every log line of one request carries. */
export type RequestContext = { requestId: string; userId?: string };

// One store per process even when bundles load this module more than once.
const storage = processWide("request-context", () => new AsyncLocalStorage<RequestContext>());

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Runs `work` as one request: a request id taken from an upstream `x-request-id` when it is
 * well-formed (a proxy's id ties its logs to ours), else a new one.
 */
export function runInRequest<T>(headers: Pick<Headers, "get">, work: () => T): T {
  const upstream = headers.get("x-request-id");
  const requestId = upstream && REQUEST_ID.test(upstream) ? upstream : randomUUID();
  return storage.run({ requestId }, work);
}

export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

/** Attaches the signed-in user to the current request's log lines. */
export function setRequestUser(userId: string) {
  const context = storage.getStore();
  if (context) context.userId = userId;
}
