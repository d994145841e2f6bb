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
