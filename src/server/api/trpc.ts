/**
 * The tRPC plumbing, read top-down: context → initialisation (transformer, error shape) →
 * the procedure builders every router uses.
 */
import { getErrorShape, initTRPC, transformTRPCResponse, type TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { Session } from "next-auth";

import { env } from "~/env.js";
import { getServerAuthSession } from "~/server/auth";
import { isActiveAdmin } from "~/server/auth/accounts";
import { services } from "~/server/composition-root";
import type { Database } from "~/server/db";
import { isDatabaseUnavailable } from "~/server/db/errors";
import type { RateLimits } from "~/server/redis/rate-limit";
import type { StreamSlots } from "~/server/redis/stream-slots";
import type { LiveBoards } from "~/server/scoring/live-board";
import type { ScoreDeps } from "~/server/scoring/score-service";
import { recordProcedureCall } from "~/server/observability";
import { setRequestUser } from "~/server/observability/request-context";
import { AppError, fieldErrorsOf, reasonOf } from "./errors";
import { SSE_SETTINGS } from "./sse-settings";
import { transformer } from "./transformer";

export type Context = {
  db: Database;
  session: Session | null;
  headers: Headers;
  /** The score service's dependencies (database, leaderboard, token key, clock). */
  scoring: ScoreDeps;
  rateLimits: RateLimits;
  /** Each window's live board. */
  liveBoards: LiveBoards;
  streamSlots: StreamSlots;
};

/** This process's services as a context carries them (see ~/server/composition-root). */
export function contextServices(): Omit<Context, "session" | "headers"> {
  return { db: services.db, scoring: services.scoreDeps, rateLimits: services.rateLimits, liveBoards: services.liveBoards, streamSlots: services.liveStreamSlots };
}

/**
 * Built per request by the route handler and per render by the server-side caller.
 * Kept cheap: the session comes from the signed cookie, no queries run here; services are
 * process-wide singletons, passed in so tests can substitute their own.
 */
export async function createTRPCContext(opts: { headers: Headers }): Promise<Context> {
  const session = await getServerAuthSession();
  // Every log line of a signed-in request names the user, public procedures included.
  if (session) setRequestUser(session.user.id);
  return { ...contextServices(), session, headers: opts.headers };
}

const t = initTRPC.context<Context>().create({
  transformer,
  sse: SSE_SETTINGS,
  errorFormatter({ shape, error }) {
    const reason = reasonOf(error);
    const fieldErrors = reason === "INVALID_INPUT" ? fieldErrorsOf(error) : undefined;
    const isInternal = reason === "INTERNAL";
    return {
      ...shape,
      message: isInternal && env.NODE_ENV === "production" ? "Internal server error" : fieldErrors ? "Invalid input" : shape.message,
      data: {
        ...shape.data,
        stack: env.NODE_ENV === "development" ? shape.data.stack : undefined,
        reason,
        ...(fieldErrors ? { fieldErrors } : {}),
        ...(error instanceof AppError ? error.details : {}),
      },
    };
  },
});

/**
 * The answer tRPC would give for `error`, for refusals made before tRPC runs (an oversized body,
 * a live stream over its client's limit): the same formatter, reason and status.
 */
export function errorAnswer(error: TRPCError): { status: number; body: string } {
  const shape = getErrorShape({ config: t._config, error, type: "unknown", path: undefined, input: undefined, ctx: undefined });
  return { status: getHTTPStatusCodeFromError(error), body: JSON.stringify(transformTRPCResponse(t._config, { error: shape })) };
}

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

/** One log line and two metrics per procedure call: path, type, latency and outcome. */
const observe = t.middleware(async ({ path, type, next }) => {
  const started = performance.now();
  const result = await next();
  const seconds = (performance.now() - started) / 1000;
  recordProcedureCall(result.ok ? { path, type, seconds, code: "OK" } : { path, type, seconds, code: result.error.code, reason: reasonOf(result.error) });
  return result;
});

/** Turns a lost database connection, wherever it surfaces, into 503/DB_UNAVAILABLE. */
const mapInfrastructureErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && !(result.error instanceof AppError) && isDatabaseUnavailable(result.error.cause)) {
    throw new AppError("DB_UNAVAILABLE");
  }
  return result;
});

export const publicProcedure = t.procedure.use(observe).use(mapInfrastructureErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session?.user.id) throw new AppError("UNAUTHENTICATED");
  return next({ ctx: { session: ctx.session, user: ctx.session.user } });
});

/** Administrators only; role and ban state come from the database, not the session (see isActiveAdmin). */
export const adminProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  if (!(await isActiveAdmin(ctx.db, ctx.user.id))) throw new AppError("NOT_ADMIN");
  return next();
});

const USER_LIMIT_MESSAGES = {
  actionStart: "Too many actions started. Wait a moment and try again.",
  scoreSubmit: "Too many score submissions. Wait a moment and try again.",
} as const;

/**
 * Counts the call against the signed-in user's `limit` (RATE_LIMIT_USER): over it, 429
 * RATE_LIMITED with `retryAfterMs`. Used after `.input()`, so bad input is refused uncounted.
 */
export const perUserLimit = (limit: keyof typeof USER_LIMIT_MESSAGES) =>
  t.middleware(async ({ ctx, next }) => {
    if (!ctx.session?.user.id) throw new AppError("UNAUTHENTICATED");
    const outcome = await ctx.rateLimits[limit](ctx.session.user.id);
    if (!outcome.allowed) throw new AppError("RATE_LIMITED", USER_LIMIT_MESSAGES[limit], { retryAfterMs: outcome.retryAfterMs });
    return next();
  });
