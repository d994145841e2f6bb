import NextAuth from "next-auth";

import { services } from "~/server/composition-root";
import { runInRequest } from "~/server/observability/request-context";
import { BODY_TOO_LARGE_MESSAGE, withBoundedBody } from "~/server/api/request-body";

export const runtime = "nodejs";

const nextAuth = NextAuth(services.authOptions) as (req: Request, context: unknown) => Promise<Response>;

async function handler(req: Request, context: unknown) {
  const bounded = await withBoundedBody(req);
  if (!bounded) return Response.json({ error: "PAYLOAD_TOO_LARGE", message: BODY_TOO_LARGE_MESSAGE }, { status: 413 });
  return runInRequest(req.headers, () => nextAuth(bounded, context));
}

export { handler as GET, handler as POST };
