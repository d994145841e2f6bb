/**
 * Real next-auth session cookies for users inserted in bulk (the fault suite, the benchmarks):
 * minted with the app's AUTH_SECRET bound to its deployment environment, and the claims its jwt
 * callback writes (src/server/auth/config.ts: sub, name, username, role), so the server cannot
 * tell them from a cookie a sign-in set.
 */
import { encode, type JWT } from "next-auth/jwt";

import { sessionSecret, type DeploymentEnvironment } from "../../src/server/deployment-keys";

/** next-auth's cookie on plain HTTP (on HTTPS it is `__Secure-next-auth.session-token`). */
export const SESSION_COOKIE = "next-auth.session-token";

export type CookieUser = { id: string; username: string; role: "user" | "admin"; name?: string };

/**
 * The session JWT for `user`, valid for `maxAge` seconds (negative: already expired). The apps
 * tests and benchmarks start are production servers (`npm start`), hence the default environment.
 */
export function sessionToken(
  user: CookieUser,
  authSecret: string,
  overrides: Partial<JWT> = {},
  maxAge = 60 * 60,
  environment: DeploymentEnvironment = "production",
) {
  const token = { sub: user.id, name: user.name ?? user.username, username: user.username, role: user.role, ...overrides };
  return encode({ token, secret: sessionSecret(authSecret, environment), maxAge });
}
