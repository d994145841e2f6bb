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
 * Returns a normalised address (IPv4 dotted quad, IPv6 in lower case; IPv4-mapped IPv6 such as
 * `::ffff:127.0.0.1` as IPv4) or null when the header is missing or its first entry is not an
 * IP address.
 */
import { isIP } from "node:net";

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

/** A valid address in one canonical spelling per client kind, or null. */
export function normalizeIp(address: string): string | null {
  const version = isIP(address);
  if (version === 4) return address;
  if (version !== 6) return null;
  const lower = address.toLowerCase();
  const groups = ipv6Groups(lower);
  const mapped = groups && groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (groups && mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return lower;
}

/** The eight 16-bit groups of a valid IPv6 address (zone id ignored), or null. */
export function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  const [bare = ""] = address.split("%");
  const parse = (part: string) =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const halves = bare.split("::");
  const left = parse(halves[0] ?? "");
  if (halves.length === 1) return left.length === 8 ? left : null;
  const right = parse(halves[1] ?? "");
  const zeros = 8 - left.length - right.length;
  return zeros < 0 ? null : [...left, ...Array<number>(zeros).fill(0), ...right];
}
