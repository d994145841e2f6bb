import { ScoreboardClient } from "../test/support/client";
import { queryPath } from "../test/support/wire";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { accountForm, expectSignedInAs, PASSWORD, submitAccountForm, uniqueUsername } from "./helpers";

ownAppForThisFile();

/** Pages, route handlers, tRPC answers and errors, next-auth, the live stream and a 404. */
const ANSWERS = [
  "/",
  "/no-such-page",
  "/api/health",
  "/api/auth/session",
  "/api/auth/csrf",
  queryPath("leaderboard.top", { limit: 10 }),
  queryPath("leaderboard.me"),
  queryPath("leaderboard.live", { limit: 10 }),
];

async function headersOf(baseURL: string, path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${baseURL}${path}`, { headers, redirect: "manual", signal: controller.signal });
  controller.abort(); // the live stream would never end on its own
  return response.headers;
}

test("every page and API answer carries the security headers; https answers also HSTS", async ({ baseURL }) => {
  // The board's reads are answered ahead of Next.js once it is in memory: read it first so both kinds are covered.
  await fetch(`${baseURL}${queryPath("leaderboard.top", { limit: 10 })}`);
  for (const path of ANSWERS) {
    for (const round of [1, 2]) {
      const plain = await headersOf(baseURL!, path);
      expect(plain.get("content-security-policy"), `${path} (${round})`).toContain("frame-ancestors 'none'");
      expect(plain.get("x-content-type-options"), path).toBe("nosniff");
      expect(plain.get("referrer-policy"), path).toBe("strict-origin-when-cross-origin");
      expect(plain.get("strict-transport-security"), `${path} over http`).toBeNull();

      const https = await headersOf(baseURL!, path, { "x-forwarded-proto": "https" });
      expect(https.get("strict-transport-security"), `${path} over https`).toMatch(/^max-age=\d+/);
    }
  }
});

test("the page works under its Content-Security-Policy", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto("/");
  const username = uniqueUsername("csp");
  await submitAccountForm(page, username, PASSWORD, "signup");
  await expectSignedInAs(page, username);
  await expect(accountForm(page)).toHaveCount(0);
  expect(violations).toEqual([]);
});

test("only the session cookie next-auth writes for this scheme counts, whole or in numbered chunks", async ({ baseURL }) => {
  const username = uniqueUsername("cookie");
  const client = new ScoreboardClient(baseURL!);
  await client.signIn({ username, password: PASSWORD, intent: "signup" });
  const token = client.cookies.find((cookie) => cookie.name === "next-auth.session-token")?.value;
  expect(token, "the session cookie of an http deployment").toBeTruthy();
  const half = Math.floor(token!.length / 2);

  const statusWith = async (cookie: string) => {
    const reply = await new ScoreboardClient(baseURL!, { headers: { cookie } }).call("query", "leaderboard.me");
    return reply.status;
  };
  expect(await statusWith(`next-auth.session-token=${token}`)).toBe(200);
  expect(await statusWith(`next-auth.session-token.0=${token!.slice(0, half)}; next-auth.session-token.1=${token!.slice(half)}`)).toBe(200);
  // https's cookie name on an http deployment: next-auth never writes it here.
  expect(await statusWith(`__Secure-next-auth.session-token=${token}`)).toBe(401);
  // Look-alike chunk names are not spliced into a session.
  expect(await statusWith(`next-auth.session-token.0=${token!.slice(0, half)}; next-auth.session-token.x=${token!.slice(half)}`)).toBe(401);
  expect(await statusWith(`next-auth.session-token.0=${token!.slice(0, half)}; next-auth.session-token.01=${token!.slice(half)}`)).toBe(401);
});
