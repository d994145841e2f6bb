import type { Page } from "@playwright/test";

import { expect, ownAdminForThisFile, ownAppForThisFile, test } from "./fixtures";
import { accountForm, expectNoSeriousViolations, expectSignedInAs, newPlayer, PASSWORD, signedIn, uniqueUsername } from "./helpers";

/**
 * Accessibility, checked by a tool: axe-core on every state of every page (signed out, signed
 * in, playing, admin, an error page), in light and in dark, with no serious or critical
 * violation; and the whole way from signing up to seeing one's points on the board, by keyboard.
 */

ownAppForThisFile();

const ADMIN = ownAdminForThisFile({ username: "a11y_admin", password: "a11y admin password, constant" });

const playCard = (page: Page) => page.getByRole("region", { name: "Play" });
const board = (page: Page) => page.locator("table.board");

for (const colorScheme of ["light", "dark"] as const) {
  test.describe(`in ${colorScheme} mode`, () => {
    test("signed out: the board and the sign-in form, in both of its modes, and a failed sign-in", async ({ page }) => {
      await page.emulateMedia({ colorScheme });
      await page.goto("/");
      await expect(accountForm(page)).toBeVisible();
      await expectNoSeriousViolations(page, "signed out");

      await accountForm(page).getByRole("button", { name: "Create account" }).click();
      await expect(accountForm(page).getByLabel("Password")).toHaveAttribute("autocomplete", "new-password");
      await accountForm(page).getByLabel("Username").fill(uniqueUsername("a11y"));
      await accountForm(page).getByLabel("Password").fill(PASSWORD);
      await accountForm(page).getByRole("button", { name: "Sign in" }).click();
      await expect(accountForm(page).getByRole("alert")).toHaveText("Wrong username or password.");
      await expectNoSeriousViolations(page, "signed out, after a failed sign-in");
    });

    test("signed in: the board, the You card, the play panel and the profile", async ({ browser, baseURL }) => {
      const player = await newPlayer(browser, baseURL!, "a11y_in");
      const page = await player.context.newPage();
      await page.emulateMedia({ colorScheme });
      await page.goto("/");
      await expectSignedInAs(page, player.username);
      await expect(board(page)).toBeVisible();
      await expect(page.getByTestId("my-score")).toBeVisible();
      await expectNoSeriousViolations(page, "signed in");
      await player.context.close();
    });

    test("playing: an action running, then its points claimed", async ({ browser, baseURL }) => {
      const player = await newPlayer(browser, baseURL!, "a11y_play");
      const page = await player.context.newPage();
      await page.emulateMedia({ colorScheme });
      await page.goto("/");
      await playCard(page).getByRole("radio", { name: /Complete a task/ }).check();
      await playCard(page).getByRole("button", { name: "Start" }).click();
      const complete = playCard(page).getByRole("button", { name: "Complete" });
      await expect(complete).toHaveAttribute("aria-disabled", "true");
      await expectNoSeriousViolations(page, "playing, the action running");

      await expect(complete).toHaveAttribute("aria-disabled", "false");
      await complete.click();
      await expect(playCard(page).getByRole("status")).toHaveText(/\+10 points/);
      await expectNoSeriousViolations(page, "playing, the points claimed");
      await player.context.close();
    });

    test("admin: the console with its users, flags and audit trail", async ({ browser, baseURL }) => {
      const admin = await signedIn(browser, baseURL!, { ...ADMIN, intent: "signin" });
      const page = await admin.context.newPage();
      await page.emulateMedia({ colorScheme });
      await page.goto("/admin");
      await expect(page.getByRole("heading", { name: "Admin", exact: true })).toBeVisible();
      await expect(page.locator(`tr[data-username="${ADMIN.username}"]`)).toBeVisible();
      await expectNoSeriousViolations(page, "admin");
      await admin.context.close();
    });

    test("error: the not-found page", async ({ page }) => {
      await page.emulateMedia({ colorScheme });
      expect((await page.goto("/no-such-page"))?.status()).toBe(404);
      await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
      await expectNoSeriousViolations(page, "not found");
    });
  });
}

/** Presses Tab until `target` has focus (at most `max` times): the way a keyboard user gets there. */
async function tabTo(page: Page, target: ReturnType<Page["locator"]>, max = 40) {
  for (let presses = 0; presses < max; presses++) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target, `reached by Tab within ${max} presses`).toBeFocused();
}

test("keyboard only: sign up, play an action, and see one's points on the board", async ({ page }) => {
  const username = uniqueUsername("keys");
  await page.goto("/");
  const form = accountForm(page);
  await expect(form).toBeVisible();

  // "Create account" on the empty form sets it up for a new account, focus on the username.
  await tabTo(page, form.getByRole("button", { name: "Create account" }));
  await page.keyboard.press("Enter");
  await expect(form.getByLabel("Username")).toBeFocused();
  await page.keyboard.type(username);
  await page.keyboard.press("Tab");
  await expect(form.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await expectSignedInAs(page, username);

  // A new player is on the board at once, with nothing yet.
  const myRow = board(page).locator('tbody tr[aria-current="true"]');
  await expect(myRow.locator("td.numeric")).toHaveText("0");

  // The radio group is one tab stop; arrows choose within it.
  const play = playCard(page);
  await tabTo(page, play.getByRole("radio", { name: /Complete a task/ }));
  await page.keyboard.press("ArrowDown");
  await expect(play.getByRole("radio", { name: /Win a match/ })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(play.getByRole("radio", { name: /Daily bonus/ })).toBeChecked();
  await page.keyboard.press("Tab");
  await expect(play.getByRole("button", { name: "Start" })).toBeFocused();
  await page.keyboard.press("Space");

  // Focus moves on to the next step, which is usable once the action is done.
  const complete = play.getByRole("button", { name: "Complete" });
  await expect(complete).toBeFocused();
  await expect(complete).toHaveAttribute("aria-disabled", "false");
  await page.keyboard.press("Enter");
  await expect(play.getByRole("status")).toHaveText(/^\+50 points!/);
  await expect(play.getByRole("button", { name: "Start" })).toBeFocused();

  // The board shows it.
  await expect(myRow.locator("td.numeric")).toHaveText("50");
  await expect(myRow.locator("td.player")).toHaveText(username);
});
