import type { Session } from "next-auth";
import { decode } from "next-auth/jwt";

import { SESSION_MAX_AGE_S, SESSION_SECRET, sessionUserOf } from "./config";
import { SESSION_COOKIE_NAME, sessionTokenFromCookies } from "./session-cookie";

/**
 * The session a request's cookies carry, or null. Not `getServerSession(authOptions)`: that runs
 * next-auth's whole session endpoint — decode the JWT, then encode a refreshed one (a second key
 * derivation and encryption) and make a CSRF token — and outside next-auth's own routes it cannot
 * set cookies, so that second half is thrown away on every request (it was the largest cost the
 * benchmark's profile of score.submit found in the session). This decodes only: the same key, the
 * same checks (encryption, expiry), the same session callback. next-auth's routes (/api/auth/*)
 * still refresh the cookie as before.
 */
export async function readSession(cookies: { name: string; value: string }[]): Promise<Session | null> {
  const token = sessionTokenFromCookies(cookies, SESSION_COOKIE_NAME);
  if (!token) return null;
  const claims = await decode({ token, secret: SESSION_SECRET }).catch(() => null);
  if (!claims) return null;
  return { user: sessionUserOf(claims), expires: new Date(Date.now() + SESSION_MAX_AGE_S * 1000).toISOString() };
}
