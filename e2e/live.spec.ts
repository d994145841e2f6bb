import type { Page } from "@playwright/test";

import { expect, ownAppForThisFile, test } from "./fixtures";
import { newPlayer, type Player } from "./helpers";

/**
 * The live board in a real browser: leaderboard.live over SSE, across users, app instances and a
 * lost stream, on this file's own app (and more instances of it, on the same database and keys).
 */

ownAppForThisFile();

/** A DAILY_BONUS (50 points, no wait) over HTTP. */
async function dailyBonus(player: Player) {
  const action = await player.client.mutate("action.start", { actionType: "DAILY_BONUS" });
  const result = await player.client.mutate("score.submit", { actionId: action.actionId, token: action.token });
  expect(result).toMatchObject({ delta: 50, replayed: false });
  return result;
}

/** The score cell of a user's row in the page's board. */
const scoreCell = (page: Page, userId: string) => page.locator(`tbody tr[data-flip-key="${userId}"] td.numeric`);
const connection = (page: Page) => page.locator("[data-connection]");

/** Opens the board and waits for its stream; marks the window so a reload would show. */
async function openBoard(page: Page, url = "/") {
  await page.goto(url);
  await expect(connection(page)).toHaveAttribute("data-connection", "live");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

async function expectNotReloaded(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), "the page was not reloaded").toBe(true);
}

test("a score completed in one user's page appears in another user's board without reload", async ({ browser, baseURL }, testInfo) => {
  const alice = await newPlayer(browser, baseURL!, "alice");
  const bob = await newPlayer(browser, baseURL!, "bob");
  try {
    await dailyBonus(alice);
    const alicePage = await alice.context.newPage();
    const bobPage = await bob.context.newPage();
    await openBoard(alicePage);
    await openBoard(bobPage);
    await expect(scoreCell(bobPage, alice.id)).toHaveText("50");

    await alicePage.getByRole("radio", { name: /Complete a task/ }).check();
    await alicePage.getByRole("button", { name: "Start" }).click();
    const complete = alicePage.getByRole("button", { name: "Complete" });
    await expect(alicePage.getByRole("progressbar")).toBeVisible();
    await expect(complete).toBeEnabled();
    await complete.click();
    const toast = alicePage.locator(".toast");
    await expect(toast).toHaveText(/^\+10 points! You're number (\d+) with 60\.$/);
    const rank = Number(/number (\d+)/.exec((await toast.textContent()) ?? "")![1]);

    // Bob's board shows Alice's new score and rank, on the same document.
    await expect(scoreCell(bobPage, alice.id)).toHaveText("60");
    await expect(bobPage.locator(`tbody tr[data-flip-key="${alice.id}"] td`).first()).toHaveText(String(rank));
    await expectNotReloaded(bobPage);
    await expect(connection(bobPage)).toHaveAttribute("data-connection", "live");
    // Alice's own card agrees.
    await expect(alicePage.getByTestId("my-score")).toHaveText("60");
    await expect(alicePage.getByTestId("my-rank")).toHaveText(`#${rank}`);

    await bobPage.screenshot({ path: testInfo.outputPath("board.png") });
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

test("a page whose app instance goes away shows Reconnecting…, then catches up without reload when it returns", async ({ browser, baseURL, startInstance }) => {
  test.setTimeout(90_000);
  const instance = await startInstance();
  const viewer = await newPlayer(browser, instance.url, "away");
  const mover = await newPlayer(browser, baseURL!, "mover");
  try {
    const page = await viewer.context.newPage();
    await openBoard(page, instance.url);
    await expect(scoreCell(page, mover.id)).toHaveText("0");

    // Stop it as a deploy or `docker stop` does: SIGTERM to the whole process group. On SIGTERM
    // the instance ends its live streams (src/server/shutdown.ts), and the page notices.
    await instance.stop();
    await expect(connection(page)).toHaveAttribute("data-connection", "reconnecting");

    // While it is down, the board changes through the file's main instance; once it is back,
    // the page resumes from its last event and shows the change it missed.
    expect((await dailyBonus(mover)).score).toBe(50);
    await startInstance(instance.port);
    await expect(connection(page)).toHaveAttribute("data-connection", "live");
    await expect(scoreCell(page, mover.id)).toHaveText("50");
    await expectNotReloaded(page);
  } finally {
    await viewer.context.close();
    await mover.context.close();
  }
});

test("a page on a second app instance shows a submit made on the first", async ({ browser, baseURL, app, startInstance }) => {
  test.setTimeout(60_000);
  const second = await startInstance();
  const viewer = await newPlayer(browser, second.url, "second");
  const mover = await newPlayer(browser, baseURL!, "first");
  try {
    const page = await viewer.context.newPage();
    await openBoard(page, second.url);
    const subscribers = async () => {
      const text = await (await viewer.client.request("/api/metrics", { headers: { authorization: `Bearer ${app.env.METRICS_TOKEN}` } })).text();
      return Number(/^scoreboard_live_subscribers\s+(\d+)/m.exec(text)?.[1] ?? "NaN");
    };
    await expect.poll(subscribers, { message: "the second instance serves the page's stream" }).toBe(1);

    // No wait for the second instance's pub/sub subscription to be in place: a change published
    // before it is would be picked up by its version poll (src/server/scoring/live-board.ts).
    const result = await dailyBonus(mover);
    await expect(scoreCell(page, mover.id)).toHaveText(String(result.score));
    await expectNotReloaded(page);

    // Closing the page ends its stream on the server: no watcher is left behind.
    await page.close();
    await expect.poll(subscribers, { message: "the stream ended on the server after the page closed" }).toBe(0);
  } finally {
    await viewer.context.close();
    await mover.context.close();
  }
});
