import NextAuth from "next-auth";

import { authOptions } from "~/server/auth/config";
import { runInRequest } from "~/server/observability/request-context";

export const runtime = "nodejs";

const nextAuth = NextAuth(authOptions) as (req: Request, context: unknown) => Promise<Response>;

function handler(req: Request, context: unknown) {
  return runInRequest(req.headers, () => nextAuth(req, context));
}

export { handler as GET, handler as POST };
