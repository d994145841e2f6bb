import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";


/** Every machine-readable `reason` the API can answer with, and the tRPC code it travels under. */
export const REASONS = {
  UNAUTHENTICATED: "UNAUTHORIZED",
  INVALID_INPUT: "BAD_REQUEST",
  UNKNOWN_ACTION: "BAD_REQUEST",
  INVALID_TOKEN: "FORBIDDEN",
  TOKEN_EXPIRED: "BAD_REQUEST",
  TOO_FAST: "BAD_REQUEST",
  ACTION_CAP_REACHED: "TOO_MANY_REQUESTS",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  BANNED: "FORBIDDEN",
  NOT_ADMIN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  DB_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  METHOD_NOT_SUPPORTED: "METHOD_NOT_SUPPORTED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  INTERNAL: "INTERNAL_SERVER_ERROR",
} as const satisfies Record<string, TRPC_ERROR_CODE_KEY>;

export type Reason = keyof typeof REASONS;

/** Extra fields a reason may carry in the error's `data` (e.g. `retryAfterMs`). */
export type ReasonDetails = { retryAfterMs?: number };

/** What each reason means, in a sentence a person can act on. */
const MESSAGES: Record<Reason, string> = {
  UNAUTHENTICATED: "Sign in first.",
  INVALID_INPUT: "Invalid input.",
  UNKNOWN_ACTION: "There is no such action.",
  INVALID_TOKEN: "This action was not started by you on this server.",
  TOKEN_EXPIRED: "This action expired; start it again.",
  TOO_FAST: "Not so fast: finish the action first.",
  ACTION_CAP_REACHED: "You have reached the limit for this action for now.",
  RATE_LIMITED: "Too many requests; wait a moment.",
  BANNED: "Your account is banned from playing.",
  NOT_ADMIN: "Only administrators may do this.",
  NOT_FOUND: "Not found.",
  DB_UNAVAILABLE: "The database is unavailable; try again shortly.",
  METHOD_NOT_SUPPORTED: "Method not supported.",
  PAYLOAD_TOO_LARGE: "Request too large.",
  INTERNAL: "Internal server error.",
};

export class AppError extends TRPCError {
  readonly reason: Reason;
  readonly details: ReasonDetails;

  constructor(reason: Reason, message = MESSAGES[reason], details: ReasonDetails = {}) {
    super({ code: REASONS[reason], message });
    this.reason = reason;
    this.details = details;
  }
}

/** The reason for errors tRPC raises itself (bad JSON, unknown procedure, …). */
const REASON_BY_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, Reason>> = {
  UNAUTHORIZED: "UNAUTHENTICATED",
  BAD_REQUEST: "INVALID_INPUT",
  PARSE_ERROR: "INVALID_INPUT",
  // A body that is not JSON (e.g. text/plain or a form): the client's mistake, not ours.
  UNSUPPORTED_MEDIA_TYPE: "INVALID_INPUT",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_SUPPORTED: "METHOD_NOT_SUPPORTED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  SERVICE_UNAVAILABLE: "DB_UNAVAILABLE",
  TOO_MANY_REQUESTS: "RATE_LIMITED",
};

export function reasonOf(error: TRPCError): Reason {
  if (error instanceof AppError) return error.reason;
  return REASON_BY_CODE[error.code] ?? "INTERNAL";
}

type Issue = { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>; message: string };

/** Field errors (`{ "path.to.field": ["message"] }`) when the error is a failed input validation. */
export function fieldErrorsOf(error: TRPCError): Record<string, string[]> | undefined {
  const issues = (error.cause as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return undefined;
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of issues as Issue[]) {
    const path = (issue.path ?? []).map((part) => String(typeof part === "object" ? part.key : part)).join(".");
    (fieldErrors[path || "(input)"] ??= []).push(issue.message);
  }
  return fieldErrors;
}
