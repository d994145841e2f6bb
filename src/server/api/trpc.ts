/**
 * The tRPC plumbing, read top-down: context → initialisation (transformer, error shape) →
 * the procedure builders every router uses.
 */
import { initTRPC } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { Session } from "next-auth";
import superjson from "superjson";

import { env } from "~/env.js";
import { getServerAuthSession } from "~/server/auth";
import { roleFor } from "~/server/auth/accounts";
import { db, type Database } from "~/server/db";
import { isDatabaseUnavailable } from "~/server/db/errors";
import { users } from "~/server/db/schema";
import { AppError, fieldErrorsOf, reasonOf } from "./errors";

export type Context = {
  db: Database;
  session: Session | null;
  headers: Headers;
};

/**
 * Built per request by the route handler and per render by the server-side caller.
 * Kept cheap: the session comes from the signed cookie, no queries run here.
 */
export async function createTRPCContext(opts: { headers: Headers }): Promise<Context> {
  return { db, session: await getServerAuthSession(), headers: opts.headers };
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
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
    throw new AppError("DB_UNAVAILABLE", "The database is unavailable; try again shortly");
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapInfrastructureErrors);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session?.user.id) throw new AppError("UNAUTHENTICATED", "Sign in first");
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
    throw new AppError("NOT_ADMIN", "Only administrators may do this");
  }
  return next();
});
