import type { Page } from "@playwright/test";

import { ScoreboardClient } from "../test/support/client";
import { expect, ownAdminForThisFile, ownAppForThisFile, test } from "./fixtures";
import { newPlayer, PASSWORD, playAction, type Player, signedInClient, uniqueUsername } from "./helpers";

/**
 * What just happened, in a real browser, read from consecutive live frames: the recent changes
 * under the board, and a toast plus a live-region announcement when someone passes me and when I
 * enter or leave the top 10; nothing when the player only switches tabs.
 */

ownAppForThisFile();

// The numbers in the expected sentences are written as en-US writes them.
test.use({ locale: "en-US" });

const ADMIN = ownAdminForThisFile({ username: "changes_admin", password: "changes admin password, constant" });

/** A DAILY_BONUS (50 points, no wait) over HTTP. */
const dailyBonus = (client: ScoreboardClient) => playAction(client, "DAILY_BONUS");

/** A COMPLETE_TASK (10 points) over HTTP. */
const completeTask = (player: Player) => playAction(player.client, "COMPLETE_TASK");

const connection = (page: Page) => page.locator("[data-connection]");
const recentChanges = (page: Page) => page.getByTestId("recent-changes").locator("li");
/** The toasts' words (each toast also has its Dismiss button). */
const toasts = (page: Page) => page.getByTestId("board-toast").locator("p");
const announcer = (page: Page) => page.getByTestId("rank-announcer");
const scoreCell = (page: Page, userId: string) => page.getByRole("tabpanel").locator(`tbody tr[data-flip-key="${userId}"] td.numeric`);

async function openBoard(page: Page, url = "/") {
  await page.goto(url);
  await expect(connection(page)).toHaveAttribute("data-connection", "live");
}

test("another player passing me: listed under the board, a toast and an announcement; their points in the list", async ({ browser, baseURL }) => {
  const me = await newPlayer(browser, baseURL!, "me");
  const rival = await newPlayer(browser, baseURL!, "rival");
  try {
    // Both 50 points; I reached them first, so I rank above the rival.
    await dailyBonus(me.client);
    await dailyBonus(rival.client);
    const page = await me.context.newPage();
    await openBoard(page);
    await expect(recentChanges(page)).toHaveCount(0);
    await expect(toasts(page)).toHaveCount(0);

    const passed = await completeTask(rival);
    expect(passed.score).toBe(60);
    const myRank = (await me.client.query("leaderboard.me", { window: "all" })).rank;
    expect(passed.rank).toBe(myRank! - 1);

    await expect(recentChanges(page).first()).toHaveText(`${rival.username} +10 → #${passed.rank}`);
    const told = `${rival.username} passed you: you are now #${myRank}.`;
    await expect(toasts(page)).toHaveText([told]);
    await expect(announcer(page)).toContainText(told);
    // The toast can be dismissed; it also goes by itself.
    await page.getByTestId("board-toast").getByRole("button", { name: "Dismiss" }).click();
    await expect(toasts(page)).toHaveCount(0);

    // A change that passes nobody is listed, and told to nobody as a pass.
    const more = await completeTask(rival);
    await expect(recentChanges(page).first()).toHaveText(`${rival.username} +10 → #${more.rank}`);
    await expect(recentChanges(page)).toHaveCount(2);
    await page.waitForTimeout(1_000); // justified: an absence — no toast may follow; nothing signals that none will.
    await expect(toasts(page)).toHaveCount(0);
  } finally {
    await me.context.close();
    await rival.context.close();
  }
});

test("entering and leaving the top 10: a toast and an announcement each time", async ({ browser, baseURL }) => {
  test.setTimeout(90_000);
  const admin = await signedInClient(baseURL!, ADMIN);
  // Ten players with points, so that a player without any is below the top 10.
  await Promise.all(
    Array.from({ length: 10 }, async (_, index) => {
      const client = new ScoreboardClient(baseURL!);
      await client.signIn({ username: uniqueUsername(`filler${index}`), password: PASSWORD, intent: "signup" });
      await dailyBonus(client);
    }),
  );
  const climber = await newPlayer(browser, baseURL!, "climber");
  try {
    const page = await climber.context.newPage();
    await openBoard(page);
    await expect(page.locator(`tbody tr[data-flip-key="${climber.id}"]`)).toHaveCount(0);

    const up = await admin.mutate("admin.adjustScore", { userId: climber.id, delta: 1_000, reason: "e2e: into the top" });
    const entered = `You are in the top 10: #${up.rank} with 1,000 points.`;
    await expect(toasts(page)).toContainText([entered]);
    await expect(announcer(page)).toContainText(entered);
    await expect(recentChanges(page).first()).toHaveText(`${climber.username} → #${up.rank}, new in the top 10`);

    await admin.mutate("admin.adjustScore", { userId: climber.id, delta: -1_000, reason: "e2e: out of the top" });
    const left = "You dropped out of the top 10.";
    await expect(toasts(page).last()).toHaveText(left);
    await expect(announcer(page)).toContainText(left);
    await expect(page.getByTestId("recent-changes")).toContainText(`${climber.username} left the top 10`);
  } finally {
    await climber.context.close();
  }
});

test("switching tabs clears the list and tells nothing of what happened on the other tab meanwhile; its next changes are listed", async ({ browser, baseURL, page }) => {
  const admin = await signedInClient(baseURL!, ADMIN);
  const mover = await newPlayer(browser, baseURL!, "mover");
  try {
    // Signed out: the list and the leader's announcements are everyone's.
    // Today first, so that its board is in the page's cache when the player comes back to it.
    await openBoard(page, "/?window=day");
    await page.getByRole("tab", { name: "All time", exact: true }).click();
    await expect(connection(page)).toHaveAttribute("data-connection", "live");

    const up = await admin.mutate("admin.adjustScore", { userId: mover.id, delta: 5_000, reason: "e2e: the lead" });
    expect(up.rank).toBe(1);
    // On the board already (fewer than ten players with points), or new on it (someone else left it).
    await expect(recentChanges(page).first()).toHaveText(new RegExp(`^${mover.username} (\\+5,000 → #1|→ #1, new in the top 10)$`));
    await expect(announcer(page)).toHaveText(`${mover.username} takes the lead with 5,000 points.`);

    // Back to Today: its board catches up (the mover leads there too), but that is not news.
    await page.getByRole("tab", { name: "Today", exact: true }).click();
    await expect(scoreCell(page, mover.id)).toHaveText("5,000");
    await expect(recentChanges(page)).toHaveCount(0);
    await page.waitForTimeout(2_000); // justified: an absence — no change may be listed after the switch; nothing signals that none will.
    await expect(recentChanges(page)).toHaveCount(0);
    await expect(announcer(page)).toHaveText(`${mover.username} takes the lead with 5,000 points.`);
    await expect(toasts(page)).toHaveCount(0);

    // The next change on Today is.
    await admin.mutate("admin.adjustScore", { userId: mover.id, delta: 10, reason: "e2e: a change today" });
    await expect(recentChanges(page)).toHaveText([`${mover.username} +10 → #1`]);
  } finally {
    await mover.context.close();
  }
});
