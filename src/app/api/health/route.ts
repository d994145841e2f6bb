import { services } from "~/server/composition-root";
import { checkHealth } from "~/server/health";
import { logger } from "~/server/observability";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET() {
  const health = await checkHealth({ db: services.db, pingRedis: () => services.redis.ping(), logger });
  return Response.json(health, {
    status: health.status === "ok" ? 200 : 503,
    headers: { "Cache-Control": "no-store" },
  });
}
