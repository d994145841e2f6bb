import type { Browser, Page, Request } from "@playwright/test";

import { grantAdminWithCli } from "../test/support/admin-cli";
import { ScoreboardClient } from "../test/support/client";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { PASSWORD, recordPageErrors, signedIn, uniqueUsername } from "./helpers";

/**
 * "Where you stand" in a real browser: a player below the top 10 sees the players around them,
 * what it takes to pass the next one and their rank among everyone, in their own locale; it is
 * read again after their own submit and when a frame shows a change that could move them, not
 * on every frame; hidden players and players with no points in the period are told so.
 */

ownAppForThisFile();

// The numbers expected here are written as en-US writes them (one test sets its own locale).
test.use({ locale: "en-US" });

const ADMIN = { username: "standing_admin", password: "standing admin password, constant" };

test.beforeAll(async ({ app }) => {
  await new ScoreboardClient(app.server.url).signIn({ ...ADMIN, intent: "signup" });
  await grantAdminWithCli(ADMIN.username, { DATABASE_URL: app.env.DATABASE_URL });
});

async function adminClient(baseURL: string) {
  const admin = new ScoreboardClient(baseURL);
  await admin.signIn({ ...ADMIN, intent: "signin" });
  return admin;
}

/** A new account over HTTP only (no browser context): its client and id. */
async function signUp(baseURL: string, prefix: string) {
  const client = new ScoreboardClient(baseURL);
  const username = uniqueUsername(prefix);
  await client.signIn({ username, password: PASSWORD, intent: "signup" });
  const user = await client.currentUser();
  return { client, id: user!.id, username };
}

async function adjust(admin: ScoreboardClient, userId: string, delta: number) {
  return admin.mutate("admin.adjustScore", { userId, delta, reason: "e2e: where you stand" });
}

const section = (page: Page) => page.getByTestId("where-i-stand");
const summary = (page: Page) => page.getByTestId("standing-summary");
const gapLine = (page: Page) => page.getByTestId("standing-gap");
const aroundRows = (page: Page) => page.getByTestId("around").locator("li");
const connection = (page: Page) => page.locator("[data-connection]");
const scoreCell = (page: Page, userId: string) => page.getByRole("tabpanel").locator(`tbody tr[data-flip-key="${userId}"] td.numeric`);

async function openBoard(page: Page, url = "/") {
  await page.goto(url);
  await expect(connection(page)).toHaveAttribute("data-connection", "live");
}

/** Reads of my standing the page makes (batched or not), with when they went out. */
function recordStandingReads(page: Page) {
  const reads: { at: number; paths: string }[] = [];
  page.on("request", (request: Request) => {
    const path = new URL(request.url()).pathname;
    if (/leaderboard\.(me|around)/.test(path)) reads.push({ at: Date.now(), paths: path });
  });
  return reads;
}

/** The player's context with a given locale, signed in with the player's cookies. */
async function contextIn(browser: Browser, baseURL: string, player: { client: ScoreboardClient }, locale: string) {
  const context = await browser.newContext({ baseURL, locale });
  await context.addCookies(player.client.cookies);
  return context;
}

/**
 * Twelve players well above, "grace" just above me (39 points more: 40 to pass her), "low" just
 * below. Scores over 1,000 so that the locale shows in them.
 */
async function seedAroundMe(browser: Browser, baseURL: string) {
  const admin = await adminClient(baseURL);
  const top = await Promise.all(Array.from({ length: 12 }, (_, index) => signUp(baseURL, `top${index}`)));
  await Promise.all(top.map((player, index) => adjust(admin, player.id, 20_000 + 1_000 * index)));
  const grace = await signUp(baseURL, "grace");
  const low = await signUp(baseURL, "low");
  const me = await signedIn(browser, baseURL, { username: uniqueUsername("me"), password: PASSWORD, intent: "signup" });
  await adjust(admin, grace.id, 1_239);
  await adjust(admin, me.id, 1_200);
  await adjust(admin, low.id, 1_000);
  return { admin, top, grace, low, me };
}

test("a player below the top 10 sees the players around them, the points to pass the next one, and their rank among everyone", async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const { grace, low, me } = await seedAroundMe(browser, baseURL!);
  try {
    const standing = await me.client.query("leaderboard.me", { window: "all" });
    const around = await me.client.query("leaderboard.around", { window: "all" });
    expect(standing.rank).toBeGreaterThan(10);
    expect(around.entries.map((entry) => entry.userId)).toContain(grace.id);
    expect(around.entries.map((entry) => entry.userId)).toContain(low.id);

    const page = await me.context.newPage();
    const errors = recordPageErrors(page);
    await openBoard(page);
    await expect(section(page)).toBeVisible();
    await expect(summary(page)).toHaveText(`#${standing.rank} of ${standing.total} · top ${standing.percentile} %`);
    await expect(gapLine(page)).toHaveText(`40 points to pass ${grace.username}, #${standing.rank! - 1}`);

    // My neighbourhood, in rank order, with me marked.
    await expect(aroundRows(page)).toHaveCount(around.entries.length);
    await expect(aroundRows(page).locator(".around-rank")).toHaveText(around.entries.map((entry) => `#${entry.rank}`));
    await expect(aroundRows(page).locator(".around-score")).toHaveText(around.entries.map((entry) => entry.score.toLocaleString("en-US")));
    await expect(page.locator('[data-testid="around"] li[aria-current="true"]')).toHaveAttribute("data-user-id", me.id);
    await expect(page.locator(`[data-testid="around"] li[data-user-id="${me.id}"] .around-score`)).toHaveText("1,200");
    expect(errors).toEqual([]);
  } finally {
    await me.context.close();
  }
});

test("numbers come in the reader's locale: the board, the standing, the neighbourhood", async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const { grace, top, me } = await seedAroundMe(browser, baseURL!);
  const context = await contextIn(browser, baseURL!, me, "de-DE");
  try {
    const standing = await me.client.query("leaderboard.me", { window: "all" });
    const page = await context.newPage();
    const errors = recordPageErrors(page);
    await openBoard(page);
    await expect(page.locator(`[data-testid="around"] li[data-user-id="${me.id}"] .around-score`)).toHaveText("1.200");
    await expect(page.locator(`[data-testid="around"] li[data-user-id="${grace.id}"] .around-score`)).toHaveText("1.239");
    await expect(summary(page)).toHaveText(`#${standing.rank} of ${standing.total} · top ${standing.percentile} %`);
    // The board's scores too (the best of the seeded players has 31,000 points, or more from an earlier test).
    const best = await me.client.query("leaderboard.top", { limit: 1 });
    await expect(scoreCell(page, best.entries[0]!.userId)).toHaveText(best.entries[0]!.score.toLocaleString("de-DE"));
    expect(best.entries[0]!.score.toLocaleString("de-DE")).toContain(".");
    await expect(page.getByTestId("my-score")).toHaveText("1.200");
    // Rendered by the server in one locale, then in the reader's: no hydration mismatch.
    expect(errors).toEqual([]);
    expect(top).toHaveLength(12);
  } finally {
    await context.close();
    await me.context.close();
  }
});

test("my standing is read again after my own submit and when a frame could move me, at most every 2 s, not on frames that cannot", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { admin, top, low, me } = await seedAroundMe(browser, baseURL!);
  try {
    const page = await me.context.newPage();
    const reads = recordStandingReads(page);
    await openBoard(page);
    const start = await me.client.query("leaderboard.me", { window: "all" });
    await expect(summary(page)).toHaveText(new RegExp(`^#${start.rank} of `));

    // A player above me gains points: the board shows it, and nothing of mine is read for it.
    await page.waitForTimeout(2_500); // justified: outlasts the page's 2 s refresh throttle, so what follows starts from a quiet page.
    const readsBefore = reads.length;
    const leader = top.at(-1)!;
    const raised = await adjust(admin, leader.id, 5);
    await expect(scoreCell(page, leader.id)).toHaveText(raised.score.toLocaleString("en-US"));
    await page.waitForTimeout(2_500); // justified: an absence — longer than the 2 s throttle, in which no standing read may go out.
    expect(reads.slice(readsBefore), "no standing read for a frame that cannot move me").toEqual([]);

    // The player just below me jumps into the top 10: that frame could move me (it did: one more above me).
    await adjust(admin, low.id, 100_000);
    await expect(summary(page)).toHaveText(new RegExp(`^#${start.rank! + 1} of `));
    await expect(page.locator(`[data-testid="around"] li[data-user-id="${low.id}"]`)).toHaveCount(0);

    // My own submit, from the page: read again at once (50 more points take me past grace).
    const beforeSubmit = reads.length;
    await page.getByRole("radio", { name: /Daily bonus/ }).check();
    await page.getByRole("button", { name: "Start" }).click();
    await page.getByRole("button", { name: "Complete" }).click();
    const scored = start.score + 50;
    await expect.poll(async () => (await me.client.query("leaderboard.me", { window: "all" })).score, { message: "the submit went through" }).toBe(scored);
    const afterSubmit = await me.client.query("leaderboard.me", { window: "all" });
    expect(afterSubmit.rank).toBeLessThan(start.rank!);
    await expect(summary(page)).toHaveText(new RegExp(`^#${afterSubmit.rank} of `));
    expect(reads.slice(beforeSubmit).some((read) => read.paths.includes("leaderboard.around"))).toBe(true);
    const aroundAfter = await me.client.query("leaderboard.around", { window: "all" });
    await expect(aroundRows(page).locator(".around-rank")).toHaveText(aroundAfter.entries.map((entry) => `#${entry.rank}`));
    // Just below me now: a player with grace's score (grace, or one seeded as she was by an earlier test).
    expect(aroundAfter.entries.find((entry) => entry.rank === afterSubmit.rank! + 1)?.score).toBe(1_239);

    // Several frames that could move me in quick succession (players entering the top 10): read at most once per 2 s.
    await page.waitForTimeout(2_500); // justified: outlasts the page's 2 s refresh throttle, so the burst starts from a quiet page.
    const burst = reads.length;
    for (const [index, climber] of top.slice(0, 3).entries()) await adjust(admin, climber.id, 200_000 * (index + 1));
    await expect(scoreCell(page, top[2]!.id)).toHaveText((600_000 + 20_000 + 2_000).toLocaleString("en-US"));
    await page.waitForTimeout(5_000); // justified: the throttle is the subject — reads are counted over a window of more than two 2 s periods.
    const times = reads.slice(burst).map((read) => read.at);
    // me and around go out together (one batch, or two requests at the same moment).
    const moments = times.filter((at, index) => index === 0 || at - times[index - 1]! > 500);
    expect(moments.length, "read again after the burst").toBeGreaterThanOrEqual(1);
    expect(moments.length, "not once per frame").toBeLessThan(3);
    for (let index = 1; index < moments.length; index++) expect(moments[index]! - moments[index - 1]!).toBeGreaterThanOrEqual(1_900);
  } finally {
    await me.context.close();
  }
});

test("a hidden player is told they have no rank; a player with no points today is told so on Today", async ({ browser, baseURL }) => {
  const hidden = await signedIn(browser, baseURL!, { username: uniqueUsername("hidden"), password: PASSWORD, intent: "signup" });
  const idle = await signedIn(browser, baseURL!, { username: uniqueUsername("idle"), password: PASSWORD, intent: "signup" });
  try {
    await hidden.client.mutate("account.update", { hidden: true });
    const page = await hidden.context.newPage();
    await openBoard(page);
    await expect(summary(page)).toHaveText("You are hidden from the public board, so you have no rank on it.");
    await expect(aroundRows(page)).toHaveCount(0);

    const idlePage = await idle.context.newPage();
    await openBoard(idlePage, "/?window=day");
    await expect(summary(idlePage)).toHaveText("You have no points today yet, so you are not on today's board. Score to join it.");
    await expect(aroundRows(idlePage)).toHaveCount(0);
  } finally {
    await hidden.context.close();
    await idle.context.close();
  }
});
