import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";

import type { Page } from "@playwright/test";

import { grantAdminWithCli } from "../test/support/admin-cli";
import { ScoreboardClient } from "../test/support/client";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { PASSWORD, signedIn } from "./helpers";

/**
 * The pictures in the README: each run writes docs/screenshots/<state>-<device>-<scheme>.png
 * (the same names every time, overwritten) from a board set up the same way every time.
 * Nothing on them depends on the clock: the action shown is done and waits to be claimed.
 */

ownAppForThisFile();

const OUT = path.resolve(import.meta.dirname, "../docs/screenshots");

const DEVICES = [
  { name: "desktop", viewport: { width: 1280, height: 800 } },
  { name: "mobile", viewport: { width: 390, height: 844 } },
] as const;
const SCHEMES = ["light", "dark"] as const;

/** The board in the pictures: display names and all-time scores. */
const PLAYERS = [
  ["zoe", "Zoe", 2_450],
  ["grace", "Grace H.", 2_210],
  ["ada", "Ada", 1_980],
  ["linus", "Linus", 1_640],
  ["margaret", "Margaret", 1_385],
  ["ken", "Ken T.", 1_120],
  ["barbara", "Barbara", 960],
  ["alan", "Alan", 815],
  ["radia", "Radia", 640],
  ["dennis", "Dennis", 505],
] as const;
/** The player whose page is shown: seventh. */
const ME = { username: "sam", displayName: "Sam", score: 1_050 };

test.beforeAll(async ({ app }) => {
  const admin = new ScoreboardClient(app.server.url);
  await admin.signIn({ username: "shots_admin", password: PASSWORD, intent: "signup" });
  await grantAdminWithCli("shots_admin", { DATABASE_URL: app.env.DATABASE_URL });
  await admin.mutate("account.update", { displayName: "Admin", hidden: true });
  for (const [username, displayName, score] of [...PLAYERS, [ME.username, ME.displayName, ME.score] as const]) {
    const player = new ScoreboardClient(app.server.url);
    await player.signIn({ username, password: PASSWORD, intent: "signup" });
    await player.mutate("account.update", { displayName, hidden: false });
    const user = await player.currentUser();
    await admin.mutate("admin.adjustScore", { userId: user!.id, delta: score, reason: "screenshots: the pictured board" });
  }
});

/** The board as pictured: live, its ten rows in order. */
async function expectPicturedBoard(page: Page) {
  await expect(page.locator("[data-connection]")).toHaveAttribute("data-connection", "live");
  const expected = [...PLAYERS.slice(0, 6), [ME.username, ME.displayName, ME.score] as const, ...PLAYERS.slice(6, 9)];
  await expect(page.locator("table.board tbody td.player")).toHaveText(expected.map(([, name]) => name));
}

/** Writes `<state>-<device>-<scheme>.png` for every device and scheme; `frame` places the view before each. */
async function shoot(page: Page, state: string, frame: (device: (typeof DEVICES)[number]["name"]) => Promise<void> = async () => {}) {
  await mkdir(OUT, { recursive: true });
  for (const device of DEVICES) {
    await page.setViewportSize(device.viewport);
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme, reducedMotion: "reduce" });
      await frame(device.name);
      const file = path.join(OUT, `${state}-${device.name}-${colorScheme}.png`);
      await page.screenshot({ path: file, animations: "disabled", caret: "hide" });
      const png = await readFile(file);
      expect(png.subarray(1, 4).toString(), file).toBe("PNG");
      expect(png.length, `${file} stays small`).toBeLessThan(400_000);
    }
  }
}

test("pictures of the board signed out: the top 10 and the way in", async ({ page }) => {
  await page.goto("/");
  await expectPicturedBoard(page);
  await shoot(page, "board", async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
  });
});

test("pictures of a player's page: their row on the board, their standing, an action done and ready to claim", async ({ browser, baseURL }) => {
  const me = await signedIn(browser, baseURL!, { username: ME.username, password: PASSWORD, intent: "signin" });
  const page = await me.context.newPage();
  await page.goto("/");
  await expectPicturedBoard(page);
  await expect(page.getByTestId("my-rank")).toHaveText("#7");
  const play = page.getByRole("region", { name: "Play" });
  await play.getByRole("radio", { name: /Win a match/ }).check();
  await play.getByRole("button", { name: "Start" }).click();
  await expect(play).toContainText("Win a match: done! Claim your points.", { timeout: 10_000 });
  // No focus ring: the picture shows the page, not where a keyboard user would be.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await shoot(page, "playing", async (device) => {
    if (device === "desktop") await page.evaluate(() => window.scrollTo(0, 0));
    // On a phone the side cards come after the board: show the play panel.
    else await play.evaluate((element) => element.scrollIntoView({ block: "center" }));
  });
  await me.context.close();
});
