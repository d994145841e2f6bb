import { isLoopbackUrl } from "../src/lib/loopback.js";
import { startUpstashBridge } from "./upstash-bridge.js";

type Options = { restUrl: string; token: string; redisUrl: string };

/**
 * When the Upstash URL points at this machine, make sure something answers there:
 * reuse a bridge that is already up (another app instance started it), else start one
 * in this process. Returns the bridge we started, if any, so the caller can close it.
 */
export async function ensureLocalBridge({ restUrl, token, redisUrl }: Options) {
  if (!isLoopbackUrl(restUrl)) return null;
  const answer = await probe(restUrl, token);
  if (answer === "ok") {
    console.log(`✓ reusing the Upstash bridge at ${restUrl}`);
    return null;
  }
  if (answer === "unauthorized") {
    throw new Error(`The bridge at ${restUrl} refused UPSTASH_REDIS_REST_TOKEN; another project may own that port`);
  }
  if (answer === "foreign") {
    throw new Error(`${restUrl} answers, but not as an Upstash endpoint; set UPSTASH_REDIS_REST_URL to a free port`);
  }
  const { hostname, port } = new URL(restUrl);
  const host = hostname.replace(/^\[|\]$/g, "");
  const bridge = await startUpstashBridge({ host, port: Number(port || 80), token, redisUrl });
  console.log(`✓ started the Upstash bridge at ${bridge.url} → ${withoutCredentials(redisUrl)}`);
  return bridge;
}

/** What answers at the URL: a bridge we may use, one with another token, something else, or nothing. */
async function probe(restUrl: string, token: string): Promise<"ok" | "unauthorized" | "foreign" | "absent"> {
  let response: Response;
  try {
    response = await fetch(restUrl, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify(["PING"]),
      signal: AbortSignal.timeout(2_000),
    });
  } catch {
    return "absent";
  }
  if (response.status === 401) return "unauthorized";
  const body = (await response.json().catch(() => null)) as { result?: unknown; error?: unknown } | null;
  // A bridge whose Redis is down still answers in Upstash's error shape.
  const isUpstash = body?.result === "PONG" || (response.status === 503 && typeof body?.error === "string");
  return isUpstash ? "ok" : "foreign";
}

/** A service URL fit for a log line: user and password replaced. */
export function withoutCredentials(url: string) {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
