import { expect, ownAppForThisFile, test } from "./fixtures";
import { newPlayer } from "./helpers";

ownAppForThisFile();

test("an unknown address shows the app's own not-found page, with the way back to the board", async ({ page }) => {
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the board" }).click();
  await expect(page.getByRole("heading", { name: "Live Scoreboard" })).toBeVisible();
  await expect(page).toHaveURL(/\/$/);
});

test("a shared link shows a picture of the live board: the page names it, and it changes when the top 3 does", async ({ page, browser, baseURL }) => {
  await page.goto("/");
  const imageUrl = await page.locator('meta[property="og:image"]').getAttribute("content");
  expect(imageUrl).toBeTruthy();
  // An address the link's reader can fetch: this deployment's own, not the server's localhost.
  expect(new URL(imageUrl!).origin).toBe(new URL(baseURL!).origin);
  const imagePath = new URL(imageUrl!).pathname;
  const before = await fetch(`${baseURL}${imagePath}`);
  expect(before.status).toBe(200);
  expect(before.headers.get("content-type")).toBe("image/png");
  const beforeBytes = Buffer.from(await before.arrayBuffer());
  expect(beforeBytes.subarray(1, 4).toString()).toBe("PNG");

  const player = await newPlayer(browser, baseURL!, "og");
  const { token, actionId } = await player.client.mutate("action.start", { actionType: "DAILY_BONUS" });
  await player.client.mutate("score.submit", { actionId, token });
  await player.context.close();
  await expect
    .poll(async () => Buffer.from(await (await fetch(`${baseURL}${imagePath}`)).arrayBuffer()).equals(beforeBytes), { timeout: 10_000 })
    .toBe(false);
});
