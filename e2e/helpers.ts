import { randomBytes } from "node:crypto";

import AxeBuilder from "@axe-core/playwright";
import type { Browser, BrowserContext, Page } from "@playwright/test";

import { ScoreboardClient, type Credentials } from "../test/support/client";
import { expect } from "./fixtures";

export const PASSWORD = "correct horse battery";

/** A username no other test uses: 3-32 of [a-z0-9_]. */
export function uniqueUsername(prefix = "u") {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export function accountForm(page: Page) {
  return page.getByRole("form", { name: "Sign in or create an account" });
}

export async function submitAccountForm(page: Page, username: string, password: string, intent: "signin" | "signup") {
  const form = accountForm(page);
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: intent === "signup" ? "Create account" : "Sign in" }).click();
}

export async function expectSignedInAs(page: Page, name: string) {
  await expect(page.getByTestId("signed-in-name")).toHaveText(name);
}

/** A signed-in user: an HTTP client with their session, and a browser context holding the same cookies. */
export type Player = { client: ScoreboardClient; context: BrowserContext; id: string; username: string };

/** Signs in over HTTP (next-auth's credentials flow) and hands the session to a new browser context. */
export async function signedIn(browser: Browser, baseURL: string, credentials: Credentials): Promise<Player> {
  const client = new ScoreboardClient(baseURL);
  await client.signIn(credentials);
  const user = await client.currentUser();
  if (!user) throw new Error(`${credentials.username} has no session after signing in`);
  const context = await browser.newContext({ baseURL });
  await context.addCookies(client.cookies);
  return { client, context, id: user.id, username: user.username };
}

/** A new user, signed up on `baseURL`. */
export function newPlayer(browser: Browser, baseURL: string, prefix: string) {
  return signedIn(browser, baseURL, { username: uniqueUsername(prefix), password: PASSWORD, intent: "signup" });
}

/**
 * An action played over HTTP, as the page plays it: started, submitted once its minimum time has
 * passed (DAILY_BONUS at once, COMPLETE_TASK after 2 s); the submit's result.
 */
export async function playAction(client: ScoreboardClient, actionType: "DAILY_BONUS" | "COMPLETE_TASK" | "WIN_MATCH") {
  const action = await client.mutate("action.start", { actionType });
  const wait = action.minCompleteAt.getTime() - action.issuedAt.getTime();
  // justified: the action's minimum time is what the server checks; nothing earlier can signal it.
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 250));
  return client.mutate("score.submit", { actionId: action.actionId, token: action.token });
}

/** Errors the page reports, a hydration mismatch among them. */
export function recordPageErrors(page: Page) {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** A client over HTTP only, signed in to an existing account. */
export async function signedInClient(baseURL: string, credentials: { username: string; password: string }) {
  const client = new ScoreboardClient(baseURL);
  await client.signIn({ ...credentials, intent: "signin" });
  return client;
}

/** Runs axe on the page as it is now; lists serious and critical violations with where they are. */
export async function expectNoSeriousViolations(page: Page, state: string) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.map((node) => `${node.target.join(" ")}: ${node.failureSummary ?? ""}`),
    }));
  expect(serious, `axe: serious or critical violations, ${state}`).toEqual([]);
}
