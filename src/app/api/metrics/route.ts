import { env } from "~/env.js";
import { metrics } from "~/server/observability";
import { metricsAccess } from "~/server/observability/metrics-access";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Prometheus text; behind `Authorization: Bearer <METRICS_TOKEN>` when that is set, absent in production when it is not. */
export async function GET(req: Request) {
  const access = metricsAccess(req.headers.get("authorization"), { token: env.METRICS_TOKEN, production: env.NODE_ENV === "production" });
  if (access === "hidden") return new Response("Not Found\n", { status: 404, headers: { "Cache-Control": "no-store" } });
  if (access === "unauthorized") {
    return new Response("Unauthorized\n", { status: 401, headers: { "WWW-Authenticate": "Bearer" } });
  }
  return new Response(await metrics.registry.metrics(), {
    headers: { "Content-Type": metrics.registry.contentType, "Cache-Control": "no-store" },
  });
}
