import type { NextAuthOptions } from "next-auth";
import type { JWT } from "next-auth/jwt";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";

import { env } from "~/env.js";
import { sessionSecret } from "~/server/deployment-keys";
import { upsertGithubUser, type Role, type SessionUser } from "./accounts";
import { authorizeCredentials, type CredentialsDeps } from "./credentials";
import { SESSION_COOKIE_SECURE } from "./session-cookie";

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

/** What a session says about its user, from the signed token (also read by readSession). */
export function sessionUserOf(token: JWT): SessionUser {
  return { id: token.sub ?? "", username: token.username, name: token.name ?? token.username, role: token.role };
}

/** AUTH_SECRET bound to this deployment environment: see ~/server/deployment-keys. */
export const SESSION_SECRET = sessionSecret(env.AUTH_SECRET, env.DEPLOYMENT_ENVIRONMENT);

/** How long a session lasts (next-auth's maxAge, also read by getServerAuthSession). */
export const SESSION_MAX_AGE_S = 30 * 24 * 60 * 60;

/** What accounts need from the rest of the process: handed in by the composition root. */
export type AuthDeps = CredentialsDeps & {
  /** A GitHub account signed in, made or updated (its name may have changed). */
  onGithubLinked(userId: string): Promise<void>;
};

export function createAuthOptions(deps: AuthDeps): NextAuthOptions {
  return {
    secret: SESSION_SECRET,
    useSecureCookies: SESSION_COOKIE_SECURE,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
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
        authorize: (raw, req) => authorizeCredentials(deps, raw, new Headers((req?.headers ?? {}) as Record<string, string>)),
      }),
      ...(env.GITHUB ? [GitHubProvider({ clientId: env.GITHUB.id, clientSecret: env.GITHUB.secret })] : []),
    ],
    callbacks: {
      async jwt({ token, user, account, profile }) {
        if (account?.provider === "github" && profile) {
          const github = profile as { id?: number | string; login?: string; name?: string | null };
          const linked = await upsertGithubUser(deps.db, {
            githubId: String(github.id ?? account.providerAccountId),
            login: github.login ?? "",
            name: github.name,
          });
          await deps.onGithubLinked(linked.id);
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
}
