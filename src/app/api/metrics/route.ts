import { timingSafeEqual } from "node:crypto";

import { env } from "~/env.js";
import { metrics } from "~/server/observability";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Prometheus text; behind `Authorization: Bearer <METRICS_TOKEN>` when that is set. */
export async function GET(req: Request) {
  if (env.METRICS_TOKEN && !hasToken(req.headers.get("authorization"), env.METRICS_TOKEN)) {
    return new Response("Unauthorized\n", { status: 401, headers: { "WWW-Authenticate": "Bearer" } });
  }
  return new Response(await metrics.registry.metrics(), {
    headers: { "Content-Type": metrics.registry.contentType, "Cache-Control": "no-store" },
  });
}

function hasToken(header: string | null, token: string) {
  const given = Buffer.from(header ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
