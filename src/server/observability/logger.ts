import pino, { type DestinationStream, type Logger } from "pino";

import { currentRequest } from "./request-context";

/**
 * Paths that can hold secrets in anything we log. Code logs ids, paths, codes and timings —
 * never inputs, headers or errors' request payloads — and this is the second line of defence.
 */
const REDACT = [
  "token",
  "password",
  "cookie",
  "authorization",
  "*.token",
  "*.password",
  "*.cookie",
  "*.authorization",
  "headers.cookie",
  "headers.authorization",
  "*.headers.cookie",
  "*.headers.authorization",
  'headers["set-cookie"]',
];

/** Structured JSON logs; every line inside a request carries its request id and user id. */
export function createLogger(options: { level: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACT, censor: "[redacted]" },
      mixin() {
        const request = currentRequest();
        return request ? { requestId: request.requestId, userId: request.userId } : {};
      },
    },
    options.destination,
  );
}
