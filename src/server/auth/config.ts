import type { NextAuthOptions } from "next-auth";
import type { JWT } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";

import { env } from "~/env.js";
import { AppError } from "~/server/api/errors";
import { clientIp } from "~/server/client-ip";
import { sessionSecret } from "~/server/deployment-keys";
import { db } from "~/server/db";
import { logger } from "~/server/observability";
import { setRequestUser } from "~/server/observability/request-context";
import { leaderboard } from "~/server/scoring";
import { rateLimits } from "~/server/redis/rate-limit";
import { SESSION_COOKIE_SECURE } from "./session-cookie";
import { credentialsSchema, signIn, signUp, upsertGithubUser, type Role, type SessionUser } from "./accounts";

declare module "next-auth" {
  interface Session {
    user: SessionUser;
  }
  interface User {
    username?: string;
    role?: Role;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    username: string;
    role: Role;
  }
}

/** What a session says about its user, from the signed token (also read by getServerAuthSession). */
export function sessionUserOf(token: JWT): SessionUser {
  return { id: token.sub ?? "", username: token.username, name: token.name ?? token.username, role: token.role };
}

/**
 * Errors thrown here reach the client as `signIn(...).error`; the page maps them to sentences.
 * A wrong password returns null, which next-auth reports as `CredentialsSignin`.
 */
export const AUTH_ERRORS = { invalidInput: "INVALID_INPUT", usernameTaken: "USERNAME_TAKEN", rateLimited: "RATE_LIMITED" } as const;

/** AUTH_SECRET bound to this deployment environment: see ~/server/deployment-keys. */
export const SESSION_SECRET = sessionSecret(env.AUTH_SECRET, env.DEPLOYMENT_ENVIRONMENT);

export const authOptions: NextAuthOptions = {
  secret: SESSION_SECRET,
  useSecureCookies: SESSION_COOKIE_SECURE,
  session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
  pages: { signIn: "/", error: "/" },
  providers: [
    CredentialsProvider({
      id: "credentials",
      name: "Username and password",
      credentials: {
        username: { label: "Username", type: "text" },
        password: { label: "Password", type: "password" },
        intent: { label: "signin or signup", type: "text" },
      },
      async authorize(raw, req) {
        // Per client IP (see ~/server/client-ip), both intents, before any password work.
        // Refused: the page maps `signIn(...).error === "RATE_LIMITED"` to a sentence.
        const ip = clientIp(new Headers((req?.headers ?? {}) as Record<string, string>));
        await rateLimits.auth(ip ?? "unknown").catch((error: unknown) => {
          throw error instanceof AppError && error.reason === "RATE_LIMITED" ? new Error(AUTH_ERRORS.rateLimited) : error;
        });
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new Error(AUTH_ERRORS.invalidInput);
        const { intent, ...credentials } = parsed.data;
        const result =
          intent === "signup"
            ? await signUp(db, env.ADMIN_USERNAMES, credentials)
            : await signIn(db, env.ADMIN_USERNAMES, credentials);
        if (result.ok) setRequestUser(result.user.id);
        logger.info({ intent, outcome: result.ok ? "ok" : result.reason }, "credentials sign-in");
        if (result.ok) {
          // A new player is on the board at once, at 0.
          if (intent === "signup") await leaderboard.refresh([result.user.id]);
          return result.user;
        }
        if (result.reason === "USERNAME_TAKEN") throw new Error(AUTH_ERRORS.usernameTaken);
        return null;
      },
    }),
    ...(env.GITHUB ? [GitHubProvider({ clientId: env.GITHUB.id, clientSecret: env.GITHUB.secret })] : []),
  ],
  callbacks: {
    async jwt({ token, user, account, profile }) {
      if (account?.provider === "github" && profile) {
        const github = profile as { id?: number | string; login?: string; name?: string | null };
        const linked = await upsertGithubUser(db, env.ADMIN_USERNAMES, {
          githubId: String(github.id ?? account.providerAccountId),
          login: github.login ?? `github_${account.providerAccountId}`,
          name: github.name,
        });
        await leaderboard.refresh([linked.id]);
        return { ...token, sub: linked.id, name: linked.name, username: linked.username, role: linked.role };
      }
      if (user?.username && user.role) {
        return { ...token, sub: user.id, name: user.name, username: user.username, role: user.role };
      }
      return token;
    },
    session({ session, token }) {
      session.user = sessionUserOf(token);
      return session;
    },
  },
};
