import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";

import { PASSWORD, signInOverHttp, trpcMutation, trpcQuery, uniqueUsername } from "./helpers";

/**
 * The admin console in a real browser. The admin is `e2e_admin` (ADMIN_USERNAMES of the e2e
 * server, e2e/global-setup.ts); it is created by the first test that needs it and signed in
 * with the same constant password afterwards. Users that get big scores here are banned or
 * brought back to 0 before the test ends, so the shared top 10 stays free for other specs.
 */

const ADMIN_USERNAME = "e2e_admin";
const ADMIN_PASSWORD = "e2e admin password, constant";

type Account = { context: BrowserContext; id: string; username: string };
type Adjusted = { userId: string; score: number; delta: number; rank: number | null };

/** A browser context whose cookies carry a session (signed up, or signed in when the name exists). */
async function signedInContext(browser: Browser, baseURL: string, username: string, password: string): Promise<Account> {
  const context = await browser.newContext({ baseURL });
  let response = await signInOverHttp(context.request, { username, password, intent: "signup" });
  if (response.status() !== 200) response = await signInOverHttp(context.request, { username, password, intent: "signin" });
  expect(response.status(), `sign-in of ${username}`).toBe(200);
  const session = (await (await context.request.get("/api/auth/session")).json()) as { user?: { id: string } };
  expect(session.user?.id, `session of ${username}`).toMatch(/^[0-9a-f-]{36}$/);
  return { context, id: session.user!.id, username };
}

const newUser = (browser: Browser, baseURL: string, prefix: string) => signedInContext(browser, baseURL, uniqueUsername(prefix), PASSWORD);
const adminAccount = (browser: Browser, baseURL: string) => signedInContext(browser, baseURL, ADMIN_USERNAME, ADMIN_PASSWORD);

async function adjust(admin: Account, userId: string, delta: number, reason: string) {
  const response = await trpcMutation(admin.context.request, "admin.adjustScore", { userId, delta, reason });
  expect(response.status, JSON.stringify(response.body.error?.json)).toBe(200);
  return response.body.result!.data.json as Adjusted;
}

const boardRow = (page: Page, userId: string) => page.locator(`tbody tr[data-flip-key="${userId}"]`);
const adminRow = (page: Page, username: string) => page.locator(`tr[data-username="${username}"]`);

/** Opens the board, waits for its live stream and marks the document, so a reload would show. */
async function openBoard(page: Page) {
  await page.goto("/");
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "live");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

/** Collects every dialog (alert, confirm, prompt) a page opens: markup in names must never run. */
function recordDialogs(page: Page) {
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return dialogs;
}

test("/admin is not there for a signed-in normal user", async ({ browser, baseURL }) => {
  const user = await newUser(browser, baseURL!, "adm_normal");
  try {
    const page = await user.context.newPage();
    const response = await page.goto("/admin");
    expect(response?.status()).toBe(404);
    await expect(page.getByText(/could not be found|404/i).first()).toBeVisible();
    await expect(page.getByRole("heading", { name: "Admin", exact: true })).toHaveCount(0);
    await expect(page.getByRole("heading", { name: "Users" })).toHaveCount(0);
    await expect(page.getByRole("searchbox")).toHaveCount(0);
    // The API agrees.
    const users = await trpcQuery(user.context.request, "admin.users", { limit: 5 });
    expect(users.status).toBe(403);
    expect(users.body.error?.json.data).toMatchObject({ code: "FORBIDDEN", reason: "NOT_ADMIN" });
    // The board page offers no admin link either.
    await page.goto("/");
    await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
  } finally {
    await user.context.close();
  }
});

test("/admin sends an anonymous visitor to the board", async ({ page, request }) => {
  const raw = await request.get("/admin", { maxRedirects: 0 });
  expect(raw.status(), "a redirect, not the console").toBeGreaterThanOrEqual(300);
  expect(raw.status()).toBeLessThan(400);
  expect(new URL(raw.headers()["location"] ?? "", "http://x").pathname).toBe("/");

  await page.goto("/admin");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Live Scoreboard" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Users" })).toHaveCount(0);
  const users = await trpcQuery(request, "admin.users", { limit: 5 });
  expect(users.status).toBe(401);
  expect(users.body.error?.json.data.reason).toBe("UNAUTHENTICATED");
});

test("an admin bans a player from the console; the player's open page sees them leave the board within 2 s", async ({ browser, baseURL }) => {
  const admin = await adminAccount(browser, baseURL!);
  const target = await newUser(browser, baseURL!, "adm_target");
  try {
    // Points through the API, so the target is on the top 10 the page shows.
    const adjusted = await adjust(admin, target.id, 700_000, "e2e: on the board");
    expect(adjusted.rank, "precondition: the target is on the top 10").not.toBeNull();
    expect(adjusted.rank!).toBeLessThanOrEqual(10);

    const targetPage = await target.context.newPage();
    await openBoard(targetPage);
    await expect(boardRow(targetPage, target.id)).toBeVisible();
    await expect(boardRow(targetPage, target.id).locator("td.numeric")).toHaveText("700,000");

    const adminPage = await admin.context.newPage();
    const adminDialogs = recordDialogs(adminPage);
    await adminPage.goto("/admin");
    await expect(adminPage.getByRole("heading", { name: "Admin", exact: true })).toBeVisible();
    await adminPage.getByRole("searchbox").fill(target.username);
    const row = adminRow(adminPage, target.username);
    await expect(row).toBeVisible();
    await expect(adminPage.locator("tbody tr[data-username]")).toHaveCount(1);
    await expect(row.locator("td").nth(1)).toHaveText("700,000");
    await row.getByLabel(`Reason for ${target.username}`).fill("e2e: botting");
    const button = row.getByRole("button", { name: "Ban / adjust" });

    const clickedAt = Date.now();
    await button.click();
    await expect(adminPage.getByRole("status")).toHaveText(`${target.username} is banned.`);
    await expect(boardRow(targetPage, target.id)).toHaveCount(0, { timeout: 2_000 });
    const elapsed = Date.now() - clickedAt;
    console.log(`ban: the target's row left their open board ${elapsed} ms after the click`);
    expect(elapsed).toBeLessThanOrEqual(2_500);
    expect(
      await targetPage.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
      "the target's page was not reloaded",
    ).toBe(true);

    // The console shows the new state; the audit of the ban is in the database, the player cannot play.
    await expect(row.locator("td").nth(2)).toHaveText("banned");
    await expect(row.getByRole("button", { name: "Unban / adjust" })).toBeVisible();
    const start = await trpcMutation(target.context.request, "action.start", { actionType: "DAILY_BONUS" });
    expect(start.status).toBe(403);
    expect(start.body.error?.json.data).toMatchObject({ code: "FORBIDDEN", reason: "BANNED" });
    const listed = await trpcQuery(admin.context.request, "admin.users", { query: target.username });
    expect((listed.body.result?.data.json as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ userId: target.id, banned: true, score: 700_000 }),
    ]);
    expect(adminDialogs).toEqual([]);
  } finally {
    // Banned, the target is off the board; their score goes back to 0 as well.
    await adjust(admin, target.id, -700_000, "e2e: cleanup").catch(() => {});
    await target.context.close();
    await admin.context.close();
  }
});

test("a display name made of markup renders as literal text on the board and in the console", async ({ browser, baseURL }) => {
  const admin = await adminAccount(browser, baseURL!);
  const player = await newUser(browser, baseURL!, "adm_xss");
  // The brief's `<script>alert(1)</script><b>x</b>` is 33 characters, one over the limit: refused.
  const tooLong = "<script>alert(1)</script><b>x</b>";
  const name = "<script>alert(1)</script><b>x";
  try {
    const refused = await trpcMutation(player.context.request, "account.update", { displayName: tooLong });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.json.data.reason).toBe("INVALID_INPUT");

    const page = await player.context.newPage();
    const dialogs = recordDialogs(page);
    await page.goto("/");
    const profile = page.locator("section", { has: page.getByRole("heading", { name: "Profile" }) });
    await profile.getByLabel("Display name").fill(name);
    await profile.getByRole("button", { name: "Save" }).click();
    await expect(profile.getByRole("status")).toHaveText("Saved.");

    const adjusted = await adjust(admin, player.id, 600_000, "e2e: on the board");
    expect(adjusted.rank!, "precondition: the player is on the top 10").toBeLessThanOrEqual(10);

    // The player's own page, live (no reload needed), then a fresh server render for a stranger.
    const cell = boardRow(page, player.id).locator("td.player");
    await expect(cell).toHaveText(name);
    expect(await cell.locator("b, script, img").count()).toBe(0);
    expect(await cell.innerHTML()).toBe("&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x");

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
      await strangerPage.waitForTimeout(500);
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

    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    expect(adminDialogs).toEqual([]);
  } finally {
    await adjust(admin, player.id, -600_000, "e2e: cleanup").catch(() => {});
    await player.context.close();
    await admin.context.close();
  }
});
