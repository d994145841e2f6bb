import path from "node:path";

import { isLoopbackUrl } from "../src/lib/loopback.js";
import { bridgeTokenFile, newBridgeToken, readBridgeToken, saveBridgeToken } from "./bridge-token.js";
import { startUpstashBridge, type UpstashBridge } from "./upstash-bridge.js";

type Options = {
  restUrl: string;
  /** UPSTASH_REDIS_REST_TOKEN; unset, the bridge's token is the one saved in `tokenDir` (see ./bridge-token.ts). */
  token?: string;
  redisUrl: string;
  /** Where the local bridge's token is kept; defaults to .local/. */
  tokenDir?: string;
};

/**
 * When the Upstash URL points at this machine, make sure something answers there:
 * reuse a bridge that is already up (another app instance or `npm run bridge` started it),
 * else start one in this process. Returns the bridge we started, if any, so the caller can
 * close it, and the token the app must send; null for a URL that is not on this machine.
 */
export async function ensureLocalBridge({ restUrl, token, redisUrl, tokenDir }: Options): Promise<{ bridge: UpstashBridge | null; token: string } | null> {
  if (!isLoopbackUrl(restUrl)) return null;
  const tokenFile = path.relative(process.cwd(), bridgeTokenFile(restUrl, tokenDir));
  // With nothing saved a fresh token is tried: no bridge can accept it, so the answer says only who is there.
  const tried = token ?? readBridgeToken(restUrl, tokenDir) ?? newBridgeToken();
  const answer = await probe(restUrl, tried);
  if (answer === "ok") {
    console.log(`✓ reusing the Upstash bridge at ${restUrl}`);
    return { bridge: null, token: tried };
  }
  if (answer === "unauthorized") {
    throw new Error(`The bridge at ${restUrl} refused ${token ? "UPSTASH_REDIS_REST_TOKEN" : `the local bridge token (${tokenFile})`}; another project may own that port`);
  }
  if (answer === "foreign") {
    throw new Error(`${restUrl} answers, but not as an Upstash endpoint; set UPSTASH_REDIS_REST_URL to a free port`);
  }
  // A bridge of our own: a new token for each one started, unless one is configured.
  const bridgeToken = token ?? newBridgeToken();
  const { hostname, port } = new URL(restUrl);
  const host = hostname.replace(/^\[|\]$/g, "");
  const bridge = await startUpstashBridge({ host, port: Number(port || 80), token: bridgeToken, redisUrl });
  if (!token) saveBridgeToken(restUrl, bridgeToken, tokenDir);
  console.log(`✓ started the Upstash bridge at ${bridge.url} → ${withoutCredentials(redisUrl)}${token ? "" : ` (token in ${tokenFile})`}`);
  return { bridge, token: bridgeToken };
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
