/**
 * Which cookie holds the session, decided once for the deployment and given to next-auth too
 * (`useSecureCookies`), so the cookie next-auth writes is the only one read back.
 */
import { env } from "~/env.js";

/** https sites get the `__Secure-` name, which browsers only accept over https from that site. */
export const SESSION_COOKIE_SECURE = env.NEXTAUTH_URL?.startsWith("https://") ?? false;

export const SESSION_COOKIE_NAME = sessionCookieName(SESSION_COOKIE_SECURE);

export function sessionCookieName(secure: boolean) {
  return secure ? "__Secure-next-auth.session-token" : "next-auth.session-token";
}

const CHUNK_SUFFIX = /^\.(0|[1-9][0-9]{0,2})$/;

/**
 * The session token: the cookie `name`, or next-auth's chunks `name.0`, `name.1`, … joined in
 * order. Not next-auth's own `getToken`: its cookie store takes every cookie whose name merely
 * starts with the session cookie's, so `next-auth.session-tokenX` would be spliced in too.
 */
export function sessionTokenFromCookies(all: { name: string; value: string }[], name: string): string | null {
  const whole = all.find((cookie) => cookie.name === name);
  if (whole) return whole.value;
  const chunks = all
    .filter((cookie) => cookie.name.startsWith(name) && CHUNK_SUFFIX.test(cookie.name.slice(name.length)))
    .map((cookie) => ({ index: Number(cookie.name.slice(name.length + 1)), value: cookie.value }))
    .sort((a, b) => a.index - b.index);
  // next-auth writes chunks 0..n-1; a gap means a lost or foreign cookie, not a session.
  if (chunks.length === 0 || chunks.some((chunk, position) => chunk.index !== position)) return null;
  return chunks.map((chunk) => chunk.value).join("");
}

/**
 * A Cookie header's cookies as Next.js reads them (`cookies().getAll()`): split on `;`, values
 * URI-decoded (one that cannot be is skipped), a name given twice keeps its last value; so a
 * request answered before Next.js sees the same session as one it answers.
 */
export function cookiesOfHeader(header: string | undefined): { name: string; value: string }[] {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? "").split(/; */)) {
    if (!pair) continue;
    const splitAt = pair.indexOf("=");
    if (splitAt === -1) {
      cookies.set(pair, "true");
      continue;
    }
    try {
      cookies.set(pair.slice(0, splitAt), decodeURIComponent(pair.slice(splitAt + 1)));
    } catch {
      // Next.js drops a value it cannot decode, and so do we.
    }
  }
  return [...cookies].map(([name, value]) => ({ name, value }));
}
