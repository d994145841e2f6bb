/**
 * The credentials provider's `authorize` (next-auth v4), its services passed in so tests can run
 * it against a database that fails.
 *
 * next-auth puts the message of whatever `authorize` throws into a redirect URL (`?error=…`), so
 * only the fixed codes of AUTH_ERRORS are ever thrown: anything unexpected — a failed statement's
 * message quotes its SQL and parameters, a password hash among them — is logged here without
 * the parameters and becomes UNAVAILABLE. A wrong password returns null, which next-auth reports
 * as `CredentialsSignin`. The page maps each code to a sentence (account-panel.tsx).
 */
import type { Logger } from "pino";

import { clientIp } from "~/server/client-ip";
import type { Database } from "~/server/db";
import { errorCodeOf } from "~/server/db/errors";
import { describeError } from "~/server/observability";
import { setRequestUser } from "~/server/observability/request-context";
import type { RateLimits } from "~/server/redis/rate-limit";
import { credentialsSchema, signIn, signUp, type AccountResult, type SessionUser } from "./accounts";

export const AUTH_ERRORS = {
  invalidInput: "INVALID_INPUT",
  usernameTaken: "USERNAME_TAKEN",
  rateLimited: "RATE_LIMITED",
  unavailable: "UNAVAILABLE",
} as const;

export type CredentialsDeps = {
  db: Database;
  rateLimits: RateLimits;
  logger: Logger;
  /** A new account exists (credentials sign-up). */
  onSignedUp(userId: string): Promise<void>;
};

/** A refusal the client may see: its message is one of AUTH_ERRORS. */
class SignInRefused extends Error {}

export async function authorizeCredentials(deps: CredentialsDeps, raw: unknown, headers: Headers): Promise<SessionUser | null> {
  try {
    return await authorize(deps, raw, headers);
  } catch (error) {
    if (error instanceof SignInRefused) throw error;
    deps.logger.error({ error: loggable(error) }, "credentials sign-in failed");
    throw new SignInRefused(AUTH_ERRORS.unavailable);
  }
}

async function authorize(deps: CredentialsDeps, raw: unknown, headers: Headers): Promise<SessionUser | null> {
  // Per client IP (see ~/server/client-ip), both intents, before any password work.
  const perIp = await deps.rateLimits.auth(clientIp(headers) ?? "unknown");
  if (!perIp.allowed) throw new SignInRefused(AUTH_ERRORS.rateLimited);
  const parsed = credentialsSchema.safeParse(raw);
  if (!parsed.success) throw new SignInRefused(AUTH_ERRORS.invalidInput);
  const { intent, ...credentials } = parsed.data;

  let result: AccountResult;
  if (intent === "signup") {
    result = await signUp(deps.db, credentials);
  } else {
    // Per username, whatever the IP: guessing one account's password from many addresses is slowed too.
    const attempt = await deps.rateLimits.signInAttempt(credentials.username);
    if (!attempt.allowed) throw new SignInRefused(AUTH_ERRORS.rateLimited);
    result = await signIn(deps.db, credentials);
    if (result.ok) await attempt.succeeded();
  }
  if (result.ok) setRequestUser(result.user.id);
  deps.logger.info({ intent, outcome: result.ok ? "ok" : result.reason }, "credentials sign-in");
  if (result.ok) {
    // A new player is on the board at once, at 0.
    if (intent === "signup") await deps.onSignedUp(result.user.id);
    return result.user;
  }
  if (result.reason === "USERNAME_TAKEN") throw new SignInRefused(AUTH_ERRORS.usernameTaken);
  return null;
}

/** An unexpected error as the log may hold it: its code and the first line of each message down the cause chain (a statement's parameters follow on later lines). */
function loggable(error: unknown) {
  const messages: string[] = [];
  for (let current: unknown = error; current instanceof Error && messages.length < 4; current = current.cause) messages.push(describeError(current));
  return { code: errorCodeOf(error), messages };
}
