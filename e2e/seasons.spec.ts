import type { Page } from "@playwright/test";

import { expect, ownAppForThisFile, test, type FileApp } from "./fixtures";
import { newPlayer, playAction, recordPageErrors, type Player } from "./helpers";

/**
 * The board's windows in a real browser: the Today / This week / All time tabs (by mouse, by
 * keyboard, kept in the address and rendered by the server), the "You" card per window, the
 * countdown to the next reset on the server's clock, and live updates on the Today tab.
 */

ownAppForThisFile();

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

type TabName = "Today" | "This week" | "All time";

const tab = (page: Page, name: TabName) => page.getByRole("tab", { name, exact: true });
/** The visible tab panel (the others are hidden, and getByRole skips them). */
const panel = (page: Page) => page.getByRole("tabpanel");
const boardRow = (page: Page, userId: string) => panel(page).locator(`tbody tr[data-flip-key="${userId}"]`);
const scoreCell = (page: Page, userId: string) => boardRow(page, userId).locator("td.numeric");
const connection = (page: Page) => page.locator("[data-connection]");
const countdown = (page: Page) => page.getByTestId("board-countdown");

/** A DAILY_BONUS (50 points, no wait) over HTTP. */
async function dailyBonus(player: Player) {
  const result = await playAction(player.client, "DAILY_BONUS");
  expect(result).toMatchObject({ delta: 50, replayed: false });
  return result;
}

/** A COMPLETE_TASK (10 points) over HTTP, submitted once its minimum time has passed. */
async function completeTask(player: Player) {
  const result = await playAction(player.client, "COMPLETE_TASK");
  expect(result).toMatchObject({ delta: 10, replayed: false });
  return result;
}

/** Opens the board and waits for its stream; marks the window so a reload would show. */
async function openBoard(page: Page, url = "/") {
  await page.goto(url);
  await expect(connection(page)).toHaveAttribute("data-connection", "live");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
}

async function expectNotReloaded(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), "the page was not reloaded").toBe(true);
}

async function expectSelected(page: Page, name: TabName) {
  await expect(tab(page, name)).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("tab", { selected: true })).toHaveCount(1);
  await expect(panel(page)).toHaveAccessibleName(name);
}

/** Live streams the app serves now (its metrics). */
async function liveSubscribers(app: FileApp) {
  const response = await fetch(`${app.server.url}/api/metrics`, { headers: { authorization: `Bearer ${app.env.METRICS_TOKEN}` } });
  return Number(/^scoreboard_live_subscribers\s+(\d+)/m.exec(await response.text())?.[1] ?? "NaN");
}

/** When the board of `boardWindow` next starts over, computed here on this machine's clock (the app's too): UTC midnight, or Monday's. */
function nextReset(boardWindow: "day" | "week", now: number) {
  const tomorrow = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  if (boardWindow === "day") return tomorrow;
  // getUTCDay: Sunday 0 … Saturday 6; tomorrow's weekday, and the days from tomorrow to Monday.
  const tomorrowWeekday = new Date(tomorrow).getUTCDay();
  return tomorrow + ((8 - tomorrowWeekday) % 7) * DAY_MS;
}

/** The whole minutes a countdown says are left ("2 d 5 h 12 m", "12 m", "less than a minute" = 0). */
function minutesShown(text: string) {
  if (/resets in less than a minute$/.test(text)) return 0;
  const match = /resets in (?:(\d+) d )?(?:(\d+) h )?(\d+) m$/.exec(text);
  if (!match) throw new Error(`not a countdown: ${JSON.stringify(text)}`);
  return Number(match[1] ?? 0) * 24 * 60 + Number(match[2] ?? 0) * 60 + Number(match[3]);
}

/** The countdown on screen says how long is left until `boardWindow`'s next reset, to the minute or two. */
async function expectCountdownToNextReset(page: Page, boardWindow: "day" | "week", name: string, device: string) {
  await expect(countdown(page)).toHaveText(new RegExp(`^${name} resets in `));
  // The page counts on the server's clock; this test on the machine's, which is the same one.
  await expect
    .poll(async () => {
      const shown = minutesShown((await countdown(page).textContent()) ?? "");
      return Math.abs(shown - (nextReset(boardWindow, Date.now()) - Date.now()) / MINUTE_MS);
    }, { message: `${boardWindow}'s countdown is the time to its next reset (${device})` })
    .toBeLessThan(2);
}

test("a player who scores shows in Today, This week and All time; one who has not, only in All time; the tab is kept in the address", async ({ browser, baseURL, page }) => {
  const scorer = await newPlayer(browser, baseURL!, "scorer");
  const idle = await newPlayer(browser, baseURL!, "idle");
  try {
    expect((await dailyBonus(scorer)).score).toBe(50);
    const errors = recordPageErrors(page);

    await openBoard(page);
    await expectSelected(page, "All time");
    await expect(scoreCell(page, scorer.id)).toHaveText("50");
    await expect(countdown(page), "all time never resets").toHaveCount(0);

    await tab(page, "Today").click();
    await expectSelected(page, "Today");
    await expect(page).toHaveURL(/\/\?window=day$/);
    await expect(scoreCell(page, scorer.id)).toHaveText("50");
    await expect(boardRow(page, idle.id), "no points today: not on today's board").toHaveCount(0);
    await expect(countdown(page)).toHaveText(/^Today's board resets in /);

    await tab(page, "This week").click();
    await expectSelected(page, "This week");
    await expect(page).toHaveURL(/\/\?window=week$/);
    await expect(scoreCell(page, scorer.id)).toHaveText("50");
    await expect(boardRow(page, idle.id)).toHaveCount(0);
    await expect(countdown(page)).toHaveText(/^This week's board resets in /);

    await tab(page, "All time").click();
    await expectSelected(page, "All time");
    await expect(page).toHaveURL(`${baseURL}/`);
    await expect(scoreCell(page, scorer.id)).toHaveText("50");
    await expectNotReloaded(page);

    // A reload opens the tab the address names, rendered so by the server and hydrated without a mismatch.
    await openBoard(page, "/?window=week");
    await expectSelected(page, "This week");
    await expect(scoreCell(page, scorer.id)).toHaveText("50");
    await page.reload();
    await expectSelected(page, "This week");
    await expect(connection(page)).toHaveAttribute("data-connection", "live");
    expect(errors).toEqual([]);
  } finally {
    await scorer.context.close();
    await idle.context.close();
  }
});

test("the server renders the tab the address names, with its board and countdown, before any script runs", async ({ browser, baseURL }) => {
  const scorer = await newPlayer(browser, baseURL!, "ssr");
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  try {
    await dailyBonus(scorer);
    const page = await context.newPage();
    for (const [query, name, board] of [
      ["day", "Today", "Today's board"],
      ["week", "This week", "This week's board"],
    ] as const) {
      await page.goto(`/?window=${query}`);
      await expectSelected(page, name);
      await expect(scoreCell(page, scorer.id)).toHaveText("50");
      await expect(countdown(page)).toHaveText(new RegExp(`^${board} resets in `));
    }
    // Anything else is all time.
    await page.goto("/?window=month");
    await expectSelected(page, "All time");
    await expect(countdown(page)).toHaveCount(0);
  } finally {
    await context.close();
    await scorer.context.close();
  }
});

test("the tabs work from the keyboard: one tab stop, arrows move and select (wrapping), Home and End, Tab goes on to the board", async ({ page }) => {
  await openBoard(page);
  const tabs = page.getByRole("tablist", { name: "Board period" }).getByRole("tab");
  await expect(tabs).toHaveText(["Today", "This week", "All time"]);

  // Tabbing into the tab list lands on the selected tab, the only one in the tab order.
  await page.getByRole("heading", { name: "Top 10" }).click();
  await page.keyboard.press("Tab");
  await expect(tab(page, "All time")).toBeFocused();
  await expect(page.locator('[role="tab"][tabindex="0"]')).toHaveCount(1);

  const steps: [string, TabName, RegExp][] = [
    ["ArrowRight", "Today", /\?window=day$/], // wraps from the last to the first
    ["ArrowRight", "This week", /\?window=week$/],
    ["ArrowLeft", "Today", /\?window=day$/],
    ["ArrowLeft", "All time", /\/$/], // wraps from the first to the last
    ["Home", "Today", /\?window=day$/],
    ["End", "All time", /\/$/],
    ["ArrowLeft", "This week", /\?window=week$/],
  ];
  for (const [key, name, url] of steps) {
    await page.keyboard.press(key);
    await expect(tab(page, name), `${key} → ${name}`).toBeFocused();
    await expectSelected(page, name);
    await expect(page).toHaveURL(url);
    await expect(page.locator('[role="tab"][tabindex="0"]')).toHaveText(name);
  }
  await expect(countdown(page)).toHaveText(/^This week's board resets in /);

  // Tab leaves the tab list for the board itself; Shift+Tab comes back to the selected tab.
  await page.keyboard.press("Tab");
  await expect(panel(page)).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(tab(page, "This week")).toBeFocused();
  // Enter and Space on a focused tab (a button) select it too; here it already is.
  await page.keyboard.press("Enter");
  await expectSelected(page, "This week");
});

test("the You card shows the score and rank of the chosen window", async ({ browser, baseURL }) => {
  const scorer = await newPlayer(browser, baseURL!, "me_scorer");
  const idle = await newPlayer(browser, baseURL!, "me_idle");
  try {
    await dailyBonus(scorer);
    const dayRank = (await scorer.client.query("leaderboard.me", { window: "day" })).rank;
    expect(dayRank).toEqual(expect.any(Number));

    const page = await scorer.context.newPage();
    await openBoard(page);
    await expect(page.getByTestId("my-window")).toHaveText("All time");
    await expect(page.getByTestId("my-score")).toHaveText("50");
    await tab(page, "Today").click();
    await expect(page.getByTestId("my-window")).toHaveText("Today");
    await expect(page.getByTestId("my-score")).toHaveText("50");
    await expect(page.getByTestId("my-rank")).toHaveText(`#${dayRank}`);

    // A player with no points yet: ranked in all time (everyone is), not ranked today or this week, and told so.
    const idlePage = await idle.context.newPage();
    await openBoard(idlePage, "/?window=day");
    const card = idlePage.locator("section.standing");
    await expect(idlePage.getByTestId("my-window")).toHaveText("Today");
    await expect(idlePage.getByTestId("my-score")).toHaveText("0");
    await expect(idlePage.getByTestId("my-rank")).toHaveText("—");
    await expect(card).toContainText("You have no points today yet");
    await tab(idlePage, "This week").click();
    await expect(idlePage.getByTestId("my-window")).toHaveText("This week");
    await expect(idlePage.getByTestId("my-rank")).toHaveText("—");
    await expect(card).toContainText("You have no points this week yet");
    await tab(idlePage, "All time").click();
    await expect(idlePage.getByTestId("my-window")).toHaveText("All time");
    await expect(idlePage.getByTestId("my-score")).toHaveText("0");
    await expect(idlePage.getByTestId("my-rank")).toHaveText(/^#\d+$/);
    await expect(card).not.toContainText("no points");

    // Points scored in the page count in today's standing at once.
    await tab(idlePage, "Today").click();
    await idlePage.getByRole("radio", { name: /Daily bonus/ }).check();
    await idlePage.getByRole("button", { name: "Start" }).click();
    await idlePage.getByRole("button", { name: "Complete" }).click();
    await expect(idlePage.getByTestId("my-score")).toHaveText("50");
    await expect(idlePage.getByTestId("my-rank")).toHaveText(/^#\d+$/);
    await expect(card).not.toContainText("no points");
  } finally {
    await scorer.context.close();
    await idle.context.close();
  }
});

test("the countdowns say how long until the next UTC midnight and the next Monday, on the server's clock even when the device's is hours off", async ({ browser, baseURL }) => {
  for (const skewMs of [0, -5 * 3_600_000, 26 * 3_600_000]) {
    const context = await browser.newContext({ baseURL });
    try {
      const page = await context.newPage();
      // The device's clock, off by `skewMs`; it keeps running (and so do the page's timers).
      if (skewMs !== 0) await page.clock.setSystemTime(Date.now() + skewMs);
      await openBoard(page, "/?window=day");
      expect(Math.abs((await page.evaluate(() => Date.now())) - Date.now() - skewMs), "the device's clock is off as set").toBeLessThan(MINUTE_MS);
      const device = `the device's clock off by ${skewMs / 3_600_000} h`;
      await expectCountdownToNextReset(page, "day", "Today's board", device);
      await tab(page, "This week").click();
      await expectCountdownToNextReset(page, "week", "This week's board", device);
    } finally {
      await context.close();
    }
  }
});

test("a score arrives live on the Today tab, on one stream that follows the tab", async ({ browser, baseURL, page, app }) => {
  test.setTimeout(60_000);
  const mover = await newPlayer(browser, baseURL!, "live_mover");
  try {
    await openBoard(page, "/?window=day");
    await expect(boardRow(page, mover.id)).toHaveCount(0);

    const first = await dailyBonus(mover);
    await expect(scoreCell(page, mover.id)).toHaveText(String(first.score));
    await expectNotReloaded(page);

    // Another tab and back: the page keeps one stream, the selected tab's.
    await tab(page, "All time").click();
    await expect(scoreCell(page, mover.id)).toHaveText("50");
    await tab(page, "Today").click();
    await expect(connection(page)).toHaveAttribute("data-connection", "live");
    await expect.poll(() => liveSubscribers(app), { message: "one stream for the page" }).toBe(1);

    const second = await completeTask(mover);
    expect(second.score).toBe(60);
    await expect(scoreCell(page, mover.id)).toHaveText("60");
    await expectSelected(page, "Today");
    await expectNotReloaded(page);
  } finally {
    await mover.context.close();
  }
});
