import { timingSafeEqual } from "node:crypto";

/**
 * Who may read /api/metrics. With METRICS_TOKEN set, only its bearer. Without it, anyone in
 * development, and nobody in production: there the endpoint does not exist (404), so a deploy
 * that forgot the token does not publish its traffic and process details.
 */
export function metricsAccess(authorization: string | null, config: { token: string | undefined; production: boolean }): "allowed" | "unauthorized" | "hidden" {
  if (config.token) return hasToken(authorization, config.token) ? "allowed" : "unauthorized";
  return config.production ? "hidden" : "allowed";
}

function hasToken(header: string | null, token: string) {
  const given = Buffer.from(header ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
