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
  const bridge = await startUpstashBridge({ port: Number(new URL(restUrl).port || 80), token, redisUrl });
  console.log(`✓ started the Upstash bridge at ${bridge.url} → ${redisUrl.replace(/\/\/[^@/]*@/, "//***@")}`);
  return bridge;
}

async function probe(restUrl: string, token: string): Promise<"ok" | "unauthorized" | "absent"> {
  try {
    const response = await fetch(restUrl, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify(["PING"]),
      signal: AbortSignal.timeout(2_000),
    });
    return response.status === 401 ? "unauthorized" : "ok";
  } catch {
    return "absent";
  }
}
