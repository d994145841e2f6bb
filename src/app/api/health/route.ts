import { db } from "~/server/db";
import { checkHealth } from "~/server/health";
import { logger } from "~/server/observability";
import { redis } from "~/server/redis/client";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET() {
  const health = await checkHealth({ db, pingRedis: () => redis.ping(), logger });
  return Response.json(health, {
    status: health.status === "ok" ? 200 : 503,
    headers: { "Cache-Control": "no-store" },
  });
}
