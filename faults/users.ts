/**
 * Users for the fault suite. A few sign up over HTTP (the real path); the hundreds a load needs
 * are inserted in bulk and given real next-auth session cookies (test/support/session-cookie.ts).
 */
import { randomBytes, randomUUID } from "node:crypto";

import type postgres from "postgres";

import { ScoreboardClient } from "../test/support/client";
import { SESSION_COOKIE, sessionToken } from "../test/support/session-cookie";

/**
 * How long a request may go unanswered before it counts as unanswered: a bound on a failure (a
 * hang), far above any answer on a loaded machine, even from a database that is down.
 */
export const CLIENT_TIMEOUT_MS = 30_000;

export type FaultUser = { id: string; username: string; role: "user" | "admin" };

/** Inserts users with a zero score, as sign-up would (users + scores rows), without password work. */
export async function insertUsers(sql: postgres.Sql, prefix: string, count: number): Promise<FaultUser[]> {
  const created = Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    username: `${prefix}_${index}_${randomBytes(3).toString("hex")}`,
    role: "user" as const,
  }));
  await sql`insert into users ${sql(created.map((user) => ({ id: user.id, username: user.username, display_name: user.username })))}`;
  await sql`insert into scores ${sql(created.map((user) => ({ user_id: user.id })))}`;
  return created;
}

/** A client that sends this session token as its cookie. */
export function clientWithToken(base: string, token: string) {
  return new ScoreboardClient(base, { headers: { cookie: `${SESSION_COOKIE}=${token}` }, timeoutMs: CLIENT_TIMEOUT_MS });
}

/** A client signed in as `user` through a minted session cookie. */
export async function clientFor(base: string, user: FaultUser, secret: string) {
  return clientWithToken(base, await sessionToken(user, secret));
}

/** Users who sign up through next-auth over HTTP, exactly as the page does. */
export async function signUpOverHttp(base: string, prefix: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const client = new ScoreboardClient(base, { timeoutMs: CLIENT_TIMEOUT_MS });
      const username = `${prefix}_${index}_${randomBytes(3).toString("hex")}`;
      await client.signIn({ username, password: randomBytes(12).toString("base64url"), intent: "signup" });
      const user = await client.currentUser();
      if (!user) throw new Error(`${username} signed up but has no session`);
      return { userId: user.id, client };
    }),
  );
}
