import type { Browser, Page } from "@playwright/test";

import { runAdminCli } from "../test/support/admin-cli";
import { ScoreboardClient } from "../test/support/client";
import { expect, ownAdminForThisFile, ownAppForThisFile, test, type FileApp } from "./fixtures";
import { newPlayer, signedIn, uniqueUsername } from "./helpers";

/** The admin console in a real browser, on this file's own app. */

ownAppForThisFile();

const ADMIN = ownAdminForThisFile({ username: "e2e_admin", password: "e2e admin password, constant" });

/** `npm run admin` against the file's app's database, as its operator would run it. */
const adminCommand = (app: FileApp, args: string[]) => runAdminCli([...args, "--by", "e2e operator"], { DATABASE_URL: app.env.DATABASE_URL });

const adminAccount = (browser: Browser, baseURL: string) => signedIn(browser, baseURL, { ...ADMIN, intent: "signin" });

const boardRow = (page: Page, userId: string) => page.locator(`tbody tr[data-flip-key="${userId}"]`);
const adminRow = (page: Page, username: string) => page.locator(`tr[data-username="${username}"]`);

/** Opens the board, waits for its live stream and marks the document, so a reload would show. */
async function openBoard(page: Page) {
  await page.goto("/");
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "live");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

/**
 * Collects every dialog (alert, confirm, prompt) a page opens: markup in names must never run.
 * A dialog blocks the page until it is dismissed, so once a test has seen a row rendered, any
 * dialog that rendering opened has already been recorded: no wait is needed before the check.
 */
function recordDialogs(page: Page) {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return dialogs;
}

test("/admin is not there for a signed-in normal user", async ({ browser, baseURL }) => {
  const user = await newPlayer(browser, baseURL!, "adm_normal");
  try {
    const page = await user.context.newPage();
    const response = await page.goto("/admin");
    expect(response?.status()).toBe(404);
    await expect(page.getByText(/could not be found|404/i).first()).toBeVisible();
    await expect(page.getByRole("heading", { name: "Admin", exact: true })).toHaveCount(0);
    await expect(page.getByRole("heading", { name: "Users" })).toHaveCount(0);
    await expect(page.getByRole("searchbox")).toHaveCount(0);
    // The API agrees.
    expect(await user.client.call("query", "admin.users", { limit: 5 })).toMatchObject({
      status: 403,
      error: { data: { code: "FORBIDDEN", reason: "NOT_ADMIN" } },
    });
    // The board page offers no admin link either.
    await page.goto("/");
    await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
  } finally {
    await user.context.close();
  }
});

test("a name makes no admin: the console opens after `npm run admin -- grant` and closes after `revoke`", async ({ browser, baseURL, app }) => {
  const user = await signedIn(browser, baseURL!, { username: uniqueUsername("admin"), password: "correct horse battery", intent: "signup" });
  try {
    const page = await user.context.newPage();
    expect((await page.goto("/admin"))?.status(), "an `admin…` name alone").toBe(404);

    expect(await adminCommand(app, ["grant", user.username])).toMatchObject({ code: 0, stdout: expect.stringContaining(`${user.username} is now an admin`) });
    expect((await page.goto("/admin"))?.status()).toBe(200);
    await expect(page.getByRole("heading", { name: "Admin", exact: true })).toBeVisible();
    expect(await user.client.query("admin.users", { query: user.username })).toMatchObject({ items: [{ username: user.username, role: "admin" }] });

    expect(await adminCommand(app, ["revoke", user.username])).toMatchObject({ code: 0 });
    expect((await page.goto("/admin"))?.status(), "the same session, after revoke").toBe(404);
    expect(await user.client.call("query", "admin.users", { limit: 5 })).toMatchObject({ status: 403, error: { data: { reason: "NOT_ADMIN" } } });
  } finally {
    await user.context.close();
  }
});

test("/admin sends an anonymous visitor to the board", async ({ page, baseURL }) => {
  const visitor = new ScoreboardClient(baseURL!);
  const raw = await visitor.request("/admin");
  expect(raw.status, "a redirect, not the console").toBeGreaterThanOrEqual(300);
  expect(raw.status).toBeLessThan(400);
  expect(new URL(raw.headers.get("location") ?? "", "http://x").pathname).toBe("/");

  await page.goto("/admin");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Live Scoreboard" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Users" })).toHaveCount(0);
  expect(await visitor.call("query", "admin.users", { limit: 5 })).toMatchObject({ status: 401, error: { data: { reason: "UNAUTHENTICATED" } } });
});

test("an admin bans a player from the console; the player's open page sees them leave the board", async ({ browser, baseURL }) => {
  const admin = await adminAccount(browser, baseURL!);
  const target = await newPlayer(browser, baseURL!, "adm_target");
  try {
    await admin.client.mutate("admin.adjustScore", { userId: target.id, delta: 1_500, reason: "e2e: points to lose" });

    const targetPage = await target.context.newPage();
    await openBoard(targetPage);
    await expect(boardRow(targetPage, target.id).locator("td.numeric")).toHaveText("1,500");

    const adminPage = await admin.context.newPage();
    const adminDialogs = recordDialogs(adminPage);
    await adminPage.goto("/admin");
    await expect(adminPage.getByRole("heading", { name: "Admin", exact: true })).toBeVisible();
    await adminPage.getByRole("searchbox").fill(target.username);
    const row = adminRow(adminPage, target.username);
    await expect(row).toBeVisible();
    await expect(adminPage.locator("tbody tr[data-username]")).toHaveCount(1);
    await expect(row.locator("td").nth(1)).toHaveText("1,500");
    await row.getByLabel(`Reason for ${target.username}`).fill("e2e: botting");

    await row.getByRole("button", { name: "Ban / adjust" }).click();
    await expect(adminPage.getByRole("status")).toHaveText(`${target.username} is banned.`);
    await expect(boardRow(targetPage, target.id)).toHaveCount(0);
    expect(
      await targetPage.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
      "the target's page was not reloaded",
    ).toBe(true);

    // The console shows the new state; the ban is recorded, and the player cannot play.
    await expect(row.locator("td").nth(2)).toHaveText("banned");
    await expect(row.getByRole("button", { name: "Unban / adjust" })).toBeVisible();
    expect(await target.client.call("mutation", "action.start", { actionType: "DAILY_BONUS" })).toMatchObject({
      status: 403,
      error: { data: { code: "FORBIDDEN", reason: "BANNED" } },
    });
    const listed = await admin.client.query("admin.users", { query: target.username });
    expect(listed.items).toEqual([expect.objectContaining({ userId: target.id, banned: true, score: 1_500 })]);
    expect(adminDialogs).toEqual([]);
  } finally {
    await target.context.close();
    await admin.context.close();
  }
});

test("a display name made of markup renders as literal text on the board and in the console", async ({ browser, baseURL }) => {
  const admin = await adminAccount(browser, baseURL!);
  const player = await newPlayer(browser, baseURL!, "adm_xss");
  // The brief's `<script>alert(1)</script><b>x</b>` is 33 characters, one over the limit: refused.
  const tooLong = "<script>alert(1)</script><b>x</b>";
  const name = "<script>alert(1)</script><b>x";
  try {
    expect(await player.client.call("mutation", "account.update", { displayName: tooLong })).toMatchObject({
      status: 400,
      error: { data: { reason: "INVALID_INPUT" } },
    });

    const page = await player.context.newPage();
    const dialogs = recordDialogs(page);
    await page.goto("/");
    const profile = page.locator("section", { has: page.getByRole("heading", { name: "Profile" }) });
    await profile.getByLabel("Display name").fill(name);
    await profile.getByRole("button", { name: "Save" }).click();
    await expect(profile.getByRole("status")).toHaveText("Saved.");

    // The player's own page, live (no reload needed), then a fresh server render for a stranger.
    const cell = boardRow(page, player.id).locator("td.player");
    await expect(cell).toHaveText(name);
    expect(await cell.locator("b, script, img").count()).toBe(0);
    expect(await cell.innerHTML()).toBe("&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x");
    expect(dialogs).toEqual([]);

    const stranger = await browser.newContext({ baseURL });
    try {
      const strangerPage = await stranger.newPage();
      const strangerDialogs = recordDialogs(strangerPage);
      const html = await (await strangerPage.goto("/"))!.text();
      expect(html, "the raw markup is never in the HTML").not.toContain(name);
      expect(html).not.toContain("<script>alert(1)</script>");
      const strangerCell = boardRow(strangerPage, player.id).locator("td.player");
      await expect(strangerCell).toHaveText(name);
      expect(await strangerCell.locator("b, script").count()).toBe(0);
      expect(strangerDialogs).toEqual([]);
    } finally {
      await stranger.close();
    }

    // The admin console's table.
    const adminPage = await admin.context.newPage();
    const adminDialogs = recordDialogs(adminPage);
    await adminPage.goto("/admin");
    await adminPage.getByRole("searchbox").fill(player.username);
    const userCell = adminRow(adminPage, player.username).locator("td").first();
    await expect(userCell).toHaveText(`${name} @${player.username}`);
    expect(await userCell.locator("b, script").count()).toBe(0);
    expect(await adminPage.locator("table b").count()).toBe(0);
    expect(adminDialogs).toEqual([]);
  } finally {
    await player.context.close();
    await admin.context.close();
  }
});
