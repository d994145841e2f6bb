/**
 * The tRPC plumbing, read top-down: context → initialisation (transformer, error shape) →
 * the procedure builders every router uses.
 */
import { initTRPC } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { Session } from "next-auth";
import superjson from "superjson";

import { env } from "~/env.js";
import { sseMaxDurationMs } from "~/lib/function-duration.js";
import { getServerAuthSession } from "~/server/auth";
import { roleFor } from "~/server/auth/accounts";
import { db, type Database } from "~/server/db";
import { isDatabaseUnavailable } from "~/server/db/errors";
import { users } from "~/server/db/schema";
import { rateLimits, type RateLimits } from "~/server/redis/rate-limit";
import { liveBoard, scoreDeps } from "~/server/scoring";
import type { LiveBoard } from "~/server/scoring/live";
import type { ScoreDeps } from "~/server/scoring/score-service";
import { AppError, fieldErrorsOf, reasonOf } from "./errors";

/**
 * How long one live stream lasts before the client reconnects: a little less than the route's
 * maxDuration (TRPC_MAX_DURATION, 300 s by default; see src/lib/function-duration.js).
 */
const SSE_MAX_DURATION_MS = sseMaxDurationMs(env.TRPC_MAX_DURATION);

export type Context = {
  db: Database;
  session: Session | null;
  headers: Headers;
  /** The score service's dependencies (database, leaderboard, token key, clock). */
  scoring: ScoreDeps;
  rateLimits: RateLimits;
  live: LiveBoard;
};

/**
 * Built per request by the route handler and per render by the server-side caller.
 * Kept cheap: the session comes from the signed cookie, no queries run here; services are
 * process-wide singletons, passed in so tests can substitute their own.
 */
export async function createTRPCContext(opts: { headers: Headers }): Promise<Context> {
  return { db, session: await getServerAuthSession(), headers: opts.headers, scoring: scoreDeps, rateLimits, live: liveBoard };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  sse: {
    // Below the route's maxDuration (src/app/api/trpc/[trpc]/route.ts): the server ends the
    // stream cleanly and the client resumes from its last event id.
    maxDurationMs: SSE_MAX_DURATION_MS,
    // Proxies cut idle streams; a comment line every 15 s keeps them open.
    ping: { enabled: true, intervalMs: 15_000 },
    // No ping for this long means the stream is dead: reconnect.
    client: { reconnectAfterInactivityMs: 40_000 },
  },
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

export const createCallerFactory = t.createCallerFactory;
export const createTRPCRouter = t.router;

/** Turns a lost database connection, wherever it surfaces, into 503/DB_UNAVAILABLE. */
const mapInfrastructureErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && !(result.error instanceof AppError) && isDatabaseUnavailable(result.error.cause)) {
    throw new AppError("DB_UNAVAILABLE");
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapInfrastructureErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session?.user.id) throw new AppError("UNAUTHENTICATED");
  return next({ ctx: { session: ctx.session, user: ctx.session.user } });
});

/**
 * Role and ban state are re-read from the database: a session cookie may be up to
 * 30 days old and must not keep powers its owner has since lost.
 */
export const adminProcedure = protectedProcedure.use(async ({ ctx, next }) => {
  const [row] = await ctx.db
    .select({ username: users.username, banned: users.banned })
    .from(users)
    .where(eq(users.id, ctx.user.id));
  if (!row || row.banned || roleFor(row.username, env.ADMIN_USERNAMES) !== "admin") {
    throw new AppError("NOT_ADMIN");
  }
  return next();
});
