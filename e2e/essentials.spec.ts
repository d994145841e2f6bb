import type { Page, Request } from "@playwright/test";
import postgres from "postgres";

import { grantAdminWithCli } from "../test/support/admin-cli";
import { ScoreboardClient } from "../test/support/client";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { accountForm, expectSignedInAs, newPlayer, PASSWORD, uniqueUsername } from "./helpers";

/** What people expect of any page: the ways in, password managers, numbers as they write them, a reload that loses nothing, a page that appears at once. */

ownAppForThisFile();

const playCard = (page: Page) => page.getByRole("region", { name: "Play" });

test("without GitHub configured there is no GitHub button, and the server offers no GitHub sign-in", async ({ page, request }) => {
  await page.goto("/");
  await expect(accountForm(page).getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign in with GitHub" })).toHaveCount(0);
  const providers = (await (await request.get("/api/auth/providers")).json()) as Record<string, unknown>;
  expect(Object.keys(providers)).toEqual(["credentials"]);
});

test("password managers are told which password is which: the current one to sign in, a new one to create an account", async ({ page }) => {
  await page.goto("/");
  const form = accountForm(page);
  const password = form.getByLabel("Password");
  await expect(form.getByLabel("Username")).toHaveAttribute("autocomplete", "username");
  await expect(password).toHaveAttribute("autocomplete", "current-password");

  // "Create account" on the empty form sets it up for a new account.
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(password).toHaveAttribute("autocomplete", "new-password");
  await expect(form.getByLabel("Username")).toBeFocused();
  await expect(password).toHaveAccessibleDescription(/password of at least 8 characters/);

  const username = uniqueUsername("newpw");
  await form.getByLabel("Username").fill(username);
  await password.fill(PASSWORD);
  await password.press("Enter");
  await expectSignedInAs(page, username);

  // Signed out again, the form is back to signing in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(accountForm(page).getByLabel("Password")).toHaveAttribute("autocomplete", "current-password");
});

test("an action in progress survives a reload: the countdown goes on, and completing it submits once", async ({ browser, baseURL }) => {
  const player = await newPlayer(browser, baseURL!, "reload");
  const page = await player.context.newPage();
  const submits: Request[] = [];
  page.on("request", (request) => {
    if (request.url().includes("score.submit")) submits.push(request);
  });
  await page.goto("/");
  const play = playCard(page);
  await play.getByRole("radio", { name: /Win a match/ }).check();
  await play.getByRole("button", { name: "Start" }).click();
  const progress = play.getByRole("progressbar", { name: "Win a match progress" });
  await expect(progress).toBeVisible();
  await expect(play.getByTestId("action-time-left")).toHaveText(/^[1-5] s left$/);
  // Some of the 5 s go by before the reload.
  await expect.poll(async () => Number(await progress.getAttribute("value")), { timeout: 5_000 }).toBeGreaterThan(0.2);
  const before = Number(await progress.getAttribute("value"));

  await page.reload();
  // The same action, its countdown where it was (not started over).
  await expect(progress).toBeVisible();
  await expect(play.getByRole("button", { name: "Start" })).toHaveCount(0);
  expect(Number(await progress.getAttribute("value"))).toBeGreaterThanOrEqual(before);
  const complete = play.getByRole("button", { name: "Complete" });
  await expect(complete).toHaveAttribute("aria-disabled", "true");
  await expect(complete).toHaveAttribute("aria-disabled", "false", { timeout: 8_000 });
  await expect(play).toContainText("Win a match: done! Claim your points.");
  expect(submits).toHaveLength(0);

  await complete.click();
  await expect(play.getByRole("status")).toHaveText(/^\+25 points! You're number \d+ with 25\.$/);
  await expect(page.getByTestId("my-score")).toHaveText("25");
  expect(submits).toHaveLength(1);
  expect(await player.client.query("leaderboard.me")).toMatchObject({ score: 25 });

  // Submitted, it is gone: a reload offers a new action.
  await page.reload();
  await expect(play.getByRole("button", { name: "Start" })).toBeVisible();
  await expect(progress).toHaveCount(0);
  expect(submits).toHaveLength(1);
  await player.context.close();
});

test("an action started by one player is not resumed for another signing in in the same tab", async ({ browser, baseURL }) => {
  const first = await newPlayer(browser, baseURL!, "tab_a");
  const page = await first.context.newPage();
  await page.goto("/");
  await playCard(page).getByRole("radio", { name: /Win a match/ }).check();
  await playCard(page).getByRole("button", { name: "Start" }).click();
  await expect(playCard(page).getByRole("progressbar")).toBeVisible();

  // The second player signs in in the same tab (its session storage kept).
  const second = await newPlayer(browser, baseURL!, "tab_b");
  await first.context.clearCookies();
  await first.context.addCookies(second.client.cookies);
  await page.reload();
  await expectSignedInAs(page, second.username);
  await expect(playCard(page).getByRole("button", { name: "Start" })).toBeVisible();
  await expect(playCard(page).getByRole("progressbar")).toHaveCount(0);
  await first.context.close();
  await second.context.close();
});

test("numbers are written in the reader's locale: the play panel's messages and the admin console", async ({ browser, baseURL, app }) => {
  const adminName = uniqueUsername("loc_admin");
  const admin = new ScoreboardClient(baseURL!);
  await admin.signIn({ username: adminName, password: PASSWORD, intent: "signup" });
  await grantAdminWithCli(adminName, { DATABASE_URL: app.env.DATABASE_URL });
  const player = await newPlayer(browser, baseURL!, "loc");
  await admin.mutate("admin.adjustScore", { userId: player.id, delta: 1_200, reason: "e2e: a large score to write" });

  // A German reader: "1.250", not "1,250".
  const german = await browser.newContext({ baseURL, locale: "de-DE" });
  await german.addCookies(player.client.cookies);
  const page = await german.newPage();
  await page.goto("/");
  await playCard(page).getByRole("radio", { name: /Daily bonus/ }).check();
  await playCard(page).getByRole("button", { name: "Start" }).click();
  await playCard(page).getByRole("button", { name: "Complete" }).click();
  await expect(playCard(page).getByRole("status")).toHaveText(/^\+50 points! You're number \d+ with 1\.250\.$/);

  const adminContext = await browser.newContext({ baseURL, locale: "de-DE" });
  await adminContext.addCookies(admin.cookies);
  const adminPage = await adminContext.newPage();
  await adminPage.goto("/admin");
  const row = adminPage.locator(`tr[data-username="${player.username}"]`);
  await expect(row.locator("td").nth(1)).toHaveText("1.250");
  await row.getByLabel(`Reason for ${player.username}`).fill("e2e: another thousand");
  await row.getByLabel(`Score change for ${player.username}`).fill("1000");
  await row.getByRole("button", { name: /adjust/ }).click();
  await expect(adminPage.getByRole("status")).toHaveText("Score is now 2.250 (+1.000).");
  await expect(row.locator("td").nth(1)).toHaveText("2.250");

  // The same numbers for an English reader.
  const english = await browser.newContext({ baseURL, locale: "en-US" });
  await english.addCookies(admin.cookies);
  const englishConsole = await english.newPage();
  await englishConsole.goto("/admin");
  await expect(englishConsole.locator(`tr[data-username="${player.username}"] td`).nth(1)).toHaveText("2,250");
  await Promise.all([german.close(), adminContext.close(), english.close(), player.context.close()]);
});

test("the page does not wait for the reader's own cards: board first, skeletons in their place until their reads are done", async ({ baseURL, app }) => {
  const player = new ScoreboardClient(baseURL!);
  const username = uniqueUsername("stream");
  await player.signIn({ username, password: PASSWORD, intent: "signup" });
  // Hidden, the player's standing is read from Postgres (Redis knows only the players on the board).
  await player.mutate("account.update", { displayName: username, hidden: true });
  // Read once, so the board is at hand (it is answered from Redis, not from the users table).
  expect((await player.request("/")).status).toBe(200);

  // A database slow to answer for users: the You and Profile cards' reads wait on this lock.
  const database = postgres(app.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  let html = "";
  let reader: ReadableStreamDefaultReader<string> | null = null;
  try {
    await database.begin(async (transaction) => {
      await transaction`lock table users in access exclusive mode`;
      const response = await player.request("/");
      expect(response.status).toBe(200);
      reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      // The first part of the answer: the header, the board and the play panel, skeletons for the rest.
      while (!html.includes('data-skeleton="profile"')) {
        const { done, value } = await reader.read();
        if (done) break;
        html += value;
      }
      expect(html).toContain('data-skeleton="standing"');
      expect(html).toContain('data-skeleton="profile"');
      expect(html).toContain('id="board-title"');
      expect(html).toContain('id="play-title"');
      expect(html).not.toContain('id="standing-title"');
      expect(html).not.toContain('id="profile-title"');
    });
    // Once the database answers, the same response brings the cards.
    for (;;) {
      const { done, value } = await reader!.read();
      if (done) break;
      html += value;
    }
    expect(html).toContain('id="standing-title"');
    expect(html).toContain('id="profile-title"');
  } finally {
    await database.end();
  }
});
