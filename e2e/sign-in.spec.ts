import { expect, ownAppForThisFile, test } from "./fixtures";
import { accountForm, expectSignedInAs, PASSWORD, submitAccountForm, uniqueUsername } from "./helpers";

ownAppForThisFile();

test("a visitor signs up, sees their name, signs out and signs in again", async ({ page }) => {
  const username = uniqueUsername("e2e");
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Live Scoreboard" })).toBeVisible();

  await submitAccountForm(page, username, PASSWORD, "signup");
  await expectSignedInAs(page, username);
  // A new player is ranked at once, highlighted as the current user.
  await page.reload();
  await expectSignedInAs(page, username);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(accountForm(page)).toBeVisible();
  await expect(page.getByTestId("signed-in-name")).toHaveCount(0);

  // Usernames are case-insensitive.
  await submitAccountForm(page, username.toUpperCase(), PASSWORD, "signin");
  await expectSignedInAs(page, username);
});

test("a wrong password shows an error and does not sign in", async ({ page }) => {
  const username = uniqueUsername("e2e");
  await page.goto("/");
  await submitAccountForm(page, username, PASSWORD, "signup");
  await expectSignedInAs(page, username);
  await page.getByRole("button", { name: "Sign out" }).click();

  await submitAccountForm(page, username, "not the password", "signin");
  await expect(accountForm(page).getByRole("alert")).toHaveText("Wrong username or password.");
  await expect(page.getByTestId("signed-in-name")).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("signed-in-name")).toHaveCount(0);
});

test("signing up with a taken name says so", async ({ page, browser }) => {
  const username = uniqueUsername("e2e");
  await page.goto("/");
  await submitAccountForm(page, username, PASSWORD, "signup");
  await expectSignedInAs(page, username);

  const stranger = await browser.newPage();
  await stranger.goto("/");
  await submitAccountForm(stranger, username, "another password", "signup");
  await expect(accountForm(stranger).getByRole("alert")).toHaveText(/That username is taken/);
  await stranger.close();
});

test("the board shows ranked players from the first paint", async ({ page }) => {
  const username = uniqueUsername("e2e");
  await page.goto("/");
  await submitAccountForm(page, username, PASSWORD, "signup");
  await expectSignedInAs(page, username);

  // Server-rendered: the table is in the HTML before any client fetch.
  const html = await (await page.request.get("/")).text();
  expect(html).toContain("<table");

  const board = page.getByRole("table");
  await expect(board.getByRole("columnheader")).toHaveText(["Rank", "Player", "Score"]);
  const ranks = await board.locator("tbody tr td:first-child").allTextContents();
  expect(ranks.length).toBeGreaterThan(0);
  expect(ranks.length).toBeLessThanOrEqual(10);
  expect(ranks).toEqual(ranks.map((_, index) => String(index + 1)));
});
