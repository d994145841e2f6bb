/**
 * The framework's floor for a write: `score.submit` as the app routes it — tRPC's fetch adapter,
 * superjson, the next-auth JWT session decoded as src/server/auth/index.ts decodes it, the
 * product's own input schema, a protected procedure — doing nothing. What a real submit costs
 * beyond this is the product's own work (rate limit, token check, SQL, Redis, logging).
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { decode } from "next-auth/jwt";
import { cookies } from "next/headers";
import superjson from "superjson";

import { scoreSubmitInput } from "~/server/api/routers/inputs";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** next-auth's session cookie on plain HTTP, which the bench speaks. */
const SESSION_COOKIE = "next-auth.session-token";
/** What score.submit answers, in shape; the same for every call. */
const NO_OP_RESULT = { userId: "00000000-0000-4000-8000-000000000000", score: 0, delta: 0, rank: null, replayed: false };

async function createContext() {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  const claims = token ? await decode({ token, secret: process.env.SESSION_SECRET ?? "" }).catch(() => null) : null;
  return { userId: claims?.sub ?? null };
}

const t = initTRPC.context<typeof createContext>().create({ transformer: superjson });

const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.userId) throw new TRPCError({ code: "UNAUTHORIZED" });
  return next({ ctx: { userId: ctx.userId } });
});

const router = t.router({
  score: t.router({
    submit: protectedProcedure.input(scoreSubmitInput).mutation(() => NO_OP_RESULT),
  }),
});

function handler(req: Request) {
  return fetchRequestHandler({ endpoint: "/api/trpc", req, router, createContext });
}

export { handler as GET, handler as POST };
