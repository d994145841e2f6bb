import type { Session } from "next-auth";
import { decode } from "next-auth/jwt";
import { cookies } from "next/headers";
import { cache } from "react";

import { env } from "~/env.js";
import { authOptions, sessionUserOf } from "./config";

/** next-auth's session cookie: `__Secure-`-prefixed on https sites; a long token is split into `.0`, `.1`, … */
const SESSION_COOKIES = ["__Secure-next-auth.session-token", "next-auth.session-token"];
const SESSION_MAX_AGE_MS = (authOptions.session?.maxAge ?? 30 * 24 * 60 * 60) * 1000;

/**
 * The session of the current request (route handler or server component), read once per request.
 *
 * Not `getServerSession(authOptions)`: that runs next-auth's whole session endpoint — decode the
 * JWT, then encode a refreshed one (a second key derivation and encryption) and make a CSRF
 * token — and outside next-auth's own routes it cannot set cookies, so that second half is thrown
 * away on every request (it was the largest cost the benchmark's profile of score.submit found in
 * the session). This decodes only: the same key, the same checks (encryption, expiry), the same
 * session callback. next-auth's routes (/api/auth/*) still refresh the cookie as before.
 */
export const getServerAuthSession = cache(async (): Promise<Session | null> => {
  const token = sessionToken((await cookies()).getAll());
  if (!token) return null;
  const claims = await decode({ token, secret: env.AUTH_SECRET }).catch(() => null);
  if (!claims) return null;
  return { user: sessionUserOf(claims), expires: new Date(Date.now() + SESSION_MAX_AGE_MS).toISOString() };
});

/** The session token as next-auth stores it: one cookie, or chunks `<name>.0`, `<name>.1`, … joined in order. */
function sessionToken(all: { name: string; value: string }[]) {
  for (const name of SESSION_COOKIES) {
    const parts = all
      .filter((cookie) => cookie.name === name || cookie.name.startsWith(`${name}.`))
      .map((cookie) => ({ index: cookie.name === name ? 0 : Number(cookie.name.slice(name.length + 1)), value: cookie.value }))
      .sort((a, b) => a.index - b.index);
    if (parts.length > 0) return parts.map((part) => part.value).join("");
  }
  return null;
}
