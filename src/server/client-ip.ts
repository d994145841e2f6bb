/**
 * The client's IP address, for per-IP rate limits and the audit trail.
 *
 * It is read from the first entry of `X-Forwarded-For` and nothing else. Whether that header
 * can be trusted is decided at the transport layer, not here:
 * - TRUST_PROXY=1 (set automatically on Vercel): a proxy in front of the app, whose edge
 *   overwrites the header, wrote it; its first entry is the client.
 * - otherwise `src/instrumentation.ts` overwrites the header with the TCP peer address of every
 *   request before Next.js sees it, so a client cannot pick its own value by sending one. It
 *   stamps the requests it rewrote; while it is installed, an unstamped request (one that
 *   reached the server before the hook ran) gets null here rather than the client's value.
 *   Where the hook is not installed (TRUST_PROXY=1, unit tests) the header is taken as is.
 *
 * Returns a normalised address (IPv4 dotted quad, IPv6 as RFC 5952 writes it; IPv4-mapped IPv6
 * such as `::ffff:127.0.0.1` as IPv4) or null when the header is missing or its first entry is
 * not an IP address.
 */
import { isIP } from "node:net";

import ipaddr from "ipaddr.js";

/** Longer than any IPv6 address with brackets, port and zone; anything longer is garbage. */
const MAX_ENTRY_LENGTH = 100;

/** Written by src/instrumentation.ts under the same key while its patch is installed. */
const PEER_ADDRESS_STATE = Symbol.for("live-scoreboard.peer-address");
type PeerAddressState = { header: string; mark: string | null };

export function clientIp(headers: Pick<Headers, "get">): string | null {
  const transport = (globalThis as { [PEER_ADDRESS_STATE]?: PeerAddressState })[PEER_ADDRESS_STATE];
  if (transport?.mark && headers.get(transport.header) !== transport.mark) return null;
  const header = headers.get("x-forwarded-for");
  if (!header) return null;
  const comma = header.indexOf(",");
  const first = (comma === -1 ? header : header.slice(0, comma)).trim();
  if (!first || first.length > MAX_ENTRY_LENGTH) return null;
  return normalizeIp(stripPort(first));
}

/** `[v6]`, `[v6]:port` → `v6`; `a.b.c.d:port` → `a.b.c.d`; anything else unchanged. */
function stripPort(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  if (bracketed?.[1]) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  if (v4WithPort?.[1]) return v4WithPort[1];
  return entry;
}

/**
 * An address in one of node's standard spellings (ipaddr.js alone also takes "127.1" and hex
 * parts), IPv4-mapped IPv6 as the IPv4 address it carries; null for anything else.
 */
function parseIp(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  return isIP(address) ? ipaddr.process(address) : null;
}

/** A valid address in one canonical spelling per client (IPv6 as RFC 5952 writes it), or null. */
export function normalizeIp(address: string): string | null {
  return parseIp(address)?.toString() ?? null;
}

/**
 * The key per-IP limits count a client under: IPv4 as is, IPv6 by its /64 (one subscriber's
 * network; counting single IPv6 addresses would hand every client 2^64 keys). Anything else as given.
 */
export function ipBucket(ip: string): string {
  const address = parseIp(ip);
  if (!(address instanceof ipaddr.IPv6)) return address?.toString() ?? ip;
  return `${address.parts
    .slice(0, 4)
    .map((part) => part.toString(16))
    .join(":")}::/64`;
}
