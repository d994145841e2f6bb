import type { Browser, Page, Request } from "@playwright/test";

import { STANDING_IDLE_REFRESH_MS, STANDING_REFRESH_MS } from "../src/app/_components/board-queries";
import { ScoreboardClient } from "../test/support/client";
import { expect, ownAdminForThisFile, ownAppForThisFile, test } from "./fixtures";
import { PASSWORD, recordPageErrors, signedIn, signedInClient, uniqueUsername } from "./helpers";

/**
 * "Where you stand" in a real browser: a player below the top 10 sees the players around them,
 * what it takes to pass the next one and their rank among everyone, in their own locale; it is
 * read again after their own submit (both reads), when a frame shows a change that could move
 * them (their neighbourhood alone, their standing worked out from it) and a minute after the last
 * read, not on every frame, nor while they are on the top; hidden players and players with no
 * points in the period are told so.
 */

ownAppForThisFile();

// The numbers expected here are written as en-US writes them (one test sets its own locale).
test.use({ locale: "en-US" });

const ADMIN = ownAdminForThisFile({ username: "standing_admin", password: "standing admin password, constant" });

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

/** The path of a read of my neighbourhood alone (one procedure in the batch). */
const AROUND_ONLY = "/api/trpc/leaderboard.around";

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
  const admin = await signedInClient(baseURL, ADMIN);
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

test("my standing is read again at once after my own submit, both reads, and not for a frame that cannot move me", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { admin, top, me } = await seedAroundMe(browser, baseURL!);
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

    // My own submit, from the page: both read again at once (50 more points take me past grace).
    const beforeSubmit = reads.length;
    await page.getByRole("radio", { name: /Daily bonus/ }).check();
    await page.getByRole("button", { name: "Start" }).click();
    await page.getByRole("button", { name: "Complete" }).click();
    const scored = start.score + 50;
    await expect.poll(async () => (await me.client.query("leaderboard.me", { window: "all" })).score, { message: "the submit went through" }).toBe(scored);
    const afterSubmit = await me.client.query("leaderboard.me", { window: "all" });
    expect(afterSubmit.rank).toBeLessThan(start.rank!);
    await expect(summary(page)).toHaveText(new RegExp(`^#${afterSubmit.rank} of `));
    await expect(page.getByTestId("my-rank")).toHaveText(`#${afterSubmit.rank}`);
    const submitReads = reads.slice(beforeSubmit).map((read) => read.paths);
    expect(submitReads.some((paths) => paths.includes("leaderboard.me"))).toBe(true);
    expect(submitReads.some((paths) => paths.includes("leaderboard.around"))).toBe(true);
    const aroundAfter = await me.client.query("leaderboard.around", { window: "all" });
    await expect(aroundRows(page).locator(".around-rank")).toHaveText(aroundAfter.entries.map((entry) => `#${entry.rank}`));
    // Just below me now: a player with grace's score (grace, or one seeded as she was by an earlier test).
    expect(aroundAfter.entries.find((entry) => entry.rank === afterSubmit.rank! + 1)?.score).toBe(1_239);
  } finally {
    await me.context.close();
  }
});

/**
 * Ten players above everyone on the board, me just below them (#11), two players just below me
 * (my neighbours below), a climber below those, and a player with no points. The tenth of the top
 * has 50 points more than me: within a frame's reach of my score (100, two daily bonuses).
 */
async function seedJustBelowTheTop(browser: Browser, baseURL: string) {
  const admin = await signedInClient(baseURL, ADMIN);
  const best = (await admin.query("leaderboard.top", { limit: 1 })).entries[0]?.score ?? 0;
  const base = best + 10_000;
  const top = await Promise.all(Array.from({ length: 10 }, (_, index) => signUp(baseURL, `above${index}`)));
  // top[0] is the tenth, top[1] the ninth: my neighbours above.
  await Promise.all(top.map((player, index) => adjust(admin, player.id, base + 50 + 1_000 * index)));
  const me = await signedIn(browser, baseURL, { username: uniqueUsername("me"), password: PASSWORD, intent: "signup" });
  await adjust(admin, me.id, base);
  const below = await Promise.all([signUp(baseURL, "below0"), signUp(baseURL, "below1")]);
  await Promise.all(below.map((player, index) => adjust(admin, player.id, base - 10 * (index + 1))));
  const climber = await signUp(baseURL, "climber");
  await adjust(admin, climber.id, base - 40);
  const jumper = await signUp(baseURL, "jumper");
  return { admin, base, top, me, climber, jumper };
}

test("just below the top, a frame that could move me reads my neighbourhood alone, at most every 2 s; the idle refresh shows what no frame can; on the top, frames say it all", async ({ browser, baseURL }) => {
  test.setTimeout(120_000);
  const { admin, base, top, me, climber, jumper } = await seedJustBelowTheTop(browser, baseURL!);
  try {
    const page = await me.context.newPage();
    // The page's timers on a clock the test can move on: the idle refresh comes a minute after the last read.
    await page.clock.install();
    const reads = recordStandingReads(page);
    await openBoard(page);
    const start = await me.client.query("leaderboard.me", { window: "all" });
    expect(start.rank).toBe(11);
    await expect(summary(page)).toHaveText(/^#11 of /);
    const pathsSince = (from: number) => reads.slice(from).map((read) => read.paths);

    // A player above me, not my neighbour, gains points: nothing of mine is read for it.
    await page.waitForTimeout(STANDING_REFRESH_MS + 500); // justified: outlasts the page's refresh throttle, so what follows starts from a quiet page.
    const quiet = reads.length;
    const raised = await adjust(admin, top[9]!.id, 5);
    await expect(scoreCell(page, top[9]!.id)).toHaveText(raised.score.toLocaleString("en-US"));
    await page.waitForTimeout(STANDING_REFRESH_MS + 500); // justified: an absence — longer than the throttle, in which no standing read may go out.
    expect(reads.slice(quiet), "no standing read for a frame that cannot move me").toEqual([]);

    // My neighbours above me, on the top, change score in quick succession: my neighbourhood alone
    // is read again, at most once per 2 s.
    const burst = reads.length;
    for (const neighbour of [top[0]!, top[1]!, top[0]!]) await adjust(admin, neighbour.id, 1);
    await expect(scoreCell(page, top[0]!.id)).toHaveText((base + 52).toLocaleString("en-US"));
    await page.waitForTimeout(2.5 * STANDING_REFRESH_MS); // justified: the throttle is the subject — reads are counted over a window of more than two periods.
    const times = reads.slice(burst).map((read) => read.at);
    expect(times.length, "read again after the burst").toBeGreaterThanOrEqual(1);
    expect(times.length, "not once per frame").toBeLessThan(3);
    for (let index = 1; index < times.length; index++) expect(times[index]! - times[index - 1]!).toBeGreaterThanOrEqual(STANDING_REFRESH_MS - 100);
    expect(pathsSince(burst), "after a frame: my neighbourhood alone").toEqual(times.map(() => AROUND_ONLY));

    // The climber, below me but not my neighbour, enters the top 10 with 130 points: within a
    // frame's reach of my score, so maybe from below me (it is). My neighbourhood is read again and
    // my standing, rank and You card follow it: one more player above me.
    const entered = reads.length;
    await adjust(admin, climber.id, 130);
    await expect(summary(page)).toHaveText(/^#12 of /);
    await expect(page.getByTestId("my-rank")).toHaveText("#12");
    expect(pathsSince(entered)).toEqual([AROUND_ONLY]);

    // A player with no points jumps to the lead with an administrator's adjustment: far beyond a
    // frame's reach, so the frame cannot tell where they came from, and nothing is read for it.
    await page.waitForTimeout(STANDING_REFRESH_MS + 500); // justified: outlasts the throttle, so that a read for the jump would go out at once.
    const jumped = reads.length;
    await adjust(admin, jumper.id, base + 100_000);
    await expect(scoreCell(page, jumper.id)).toHaveText((base + 100_000).toLocaleString("en-US"));
    await page.waitForTimeout(STANDING_REFRESH_MS + 500); // justified: an absence — longer than the throttle, in which no standing read may go out.
    expect(reads.slice(jumped), "no read for a jump beyond a frame's reach").toEqual([]);
    await expect(summary(page)).toHaveText(/^#12 of /);
    // A minute after the last read, the idle refresh (my neighbourhood alone) shows it.
    await page.clock.fastForward(STANDING_IDLE_REFRESH_MS);
    await expect(summary(page)).toHaveText(/^#13 of /);
    await expect(page.getByTestId("my-rank")).toHaveText("#13");
    expect(pathsSince(jumped)).toEqual([AROUND_ONLY]);

    // On the top, its frames say my rank and score: nothing is read, not even by the idle refresh.
    const onTop = reads.length;
    await adjust(admin, me.id, 1_000_000);
    await expect(page.getByTestId("my-rank")).toHaveText("#1");
    await expect(section(page)).toHaveCount(0);
    const passer = await adjust(admin, jumper.id, 1_000_000);
    expect(passer.rank).toBe(1);
    await expect(page.getByTestId("my-rank")).toHaveText("#2");
    await page.clock.fastForward(STANDING_IDLE_REFRESH_MS);
    await page.waitForTimeout(STANDING_REFRESH_MS + 500); // justified: an absence — no standing read may go out; nothing signals that none will.
    expect(reads.slice(onTop), "no standing read while on the top").toEqual([]);
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
