import type { Page, Route } from "@playwright/test";

import { ScoreboardClient } from "../test/support/client";
import { expect, ownAppForThisFile, test, type FileApp } from "./fixtures";
import { PASSWORD, playAction, uniqueUsername } from "./helpers";

/**
 * A board that never freezes, in a real browser: with its live stream blocked (refused, or held
 * without a byte as a buffering proxy does), the page reads the board every few seconds with
 * If-None-Match and says Polling, and goes back to Live when the stream gets through again; with
 * the board unreachable as well it says Offline and offers Retry.
 */

ownAppForThisFile();

const LIVE = /\/api\/trpc\/leaderboard\.live\?/;
const TOP = /\/api\/trpc\/leaderboard\.top\?/;

const connection = (page: Page) => page.locator("[data-connection]");
const scoreCell = (page: Page, userId: string) => page.getByRole("tabpanel").locator(`tbody tr[data-flip-key="${userId}"] td.numeric`);

/** A player with 0 points on all time's board, over HTTP. */
async function player(baseURL: string, prefix: string) {
  const client = new ScoreboardClient(baseURL);
  await client.signIn({ username: uniqueUsername(prefix), password: PASSWORD, intent: "signup" });
  return { client, id: (await client.currentUser())!.id };
}

/** A DAILY_BONUS (50 points, no wait) over HTTP. */
const dailyBonus = (client: ScoreboardClient) => playAction(client, "DAILY_BONUS");

/** Live streams the app serves now (its metrics). */
async function liveSubscribers(app: FileApp) {
  const response = await fetch(`${app.server.url}/api/metrics`, { headers: { authorization: `Bearer ${app.env.METRICS_TOKEN}` } });
  return Number(/^scoreboard_live_subscribers\s+(\d+)/m.exec(await response.text())?.[1] ?? "NaN");
}

/** The page's board reads, with what they sent and got. */
function recordBoardReads(page: Page) {
  const reads: { ifNoneMatch: string | null; status: number }[] = [];
  page.on("response", (response) => {
    if (!response.url().includes("/api/trpc/leaderboard.top?")) return;
    reads.push({ ifNoneMatch: response.request().headers()["if-none-match"] ?? null, status: response.status() });
  });
  return reads;
}

test("with the stream refused, the board still updates by polling with If-None-Match, says Polling, and goes Live when the stream gets through", async ({ page, baseURL, app }) => {
  test.setTimeout(90_000);
  const mover = await player(baseURL!, "poll_mover");
  const liveAttempts: number[] = [];
  const refuse = (route: Route) => {
    liveAttempts.push(Date.now());
    return route.abort();
  };
  await page.route(LIVE, refuse);
  const reads = recordBoardReads(page);

  await page.goto("/");
  await expect(connection(page)).toHaveAttribute("data-connection", "polling");
  await expect(scoreCell(page, mover.id)).toHaveText("0");

  // A change reaches the board within a poll or two, with no stream.
  const scored = await dailyBonus(mover.client);
  await expect(scoreCell(page, mover.id)).toHaveText(String(scored.score), { timeout: 12_000 });
  await expect(connection(page)).toHaveAttribute("data-connection", "polling");
  // Unchanged boards cost a 304: the page sends the ETag it was given.
  await expect.poll(() => reads.filter((read) => read.ifNoneMatch !== null && read.status === 304).length, { timeout: 12_000 }).toBeGreaterThan(0);
  expect(reads.every((read) => read.status === 200 || read.status === 304)).toBe(true);

  // The stream was retried meanwhile, with growing gaps between attempts.
  expect(liveAttempts.length).toBeGreaterThanOrEqual(3);
  const gaps = liveAttempts.slice(1).map((at, index) => at - liveAttempts[index]!);
  expect(gaps.at(-1)!).toBeGreaterThan(gaps[0]!);

  // Let it through: the page goes back to its one stream and stops polling.
  await page.unroute(LIVE, refuse);
  await expect(connection(page)).toHaveAttribute("data-connection", "live", { timeout: 25_000 });
  await expect.poll(() => liveSubscribers(app), { message: "one stream for the page" }).toBe(1);
  const readsWhenLive = reads.length;
  const second = await dailyBonus((await player(baseURL!, "poll_other")).client);
  expect(second.delta).toBe(50);
  await page.waitForTimeout(6_000); // justified: an absence — longer than one 5 s polling interval, in which no poll may go out.
  expect(reads.length, "no polling while the stream is live").toBe(readsWhenLive);
});

test("a stream that delivers nothing for 10 s (a buffering proxy) is given up: the page polls, then goes Live when the stream gets through", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  const mover = await player(baseURL!, "held_mover");
  // Held: no answer at all, as from a proxy that buffers the whole response.
  const held: Route[] = [];
  const hold = (route: Route) => void held.push(route);
  await page.route(LIVE, hold);

  const opened = Date.now();
  await page.goto("/");
  await expect(connection(page)).toHaveAttribute("data-connection", "connecting");
  await expect(connection(page)).toHaveAttribute("data-connection", "polling", { timeout: 20_000 });
  expect(Date.now() - opened, "the page waited for the stream's first event").toBeGreaterThanOrEqual(9_000);
  expect(held.length).toBeGreaterThanOrEqual(1);

  const scored = await dailyBonus(mover.client);
  await expect(scoreCell(page, mover.id)).toHaveText(String(scored.score), { timeout: 12_000 });

  await page.unroute(LIVE, hold);
  await expect(connection(page)).toHaveAttribute("data-connection", "live", { timeout: 40_000 });
});

test("with the stream and the board both unreachable the page says Offline and offers Retry, which reconnects at once", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  const mover = await player(baseURL!, "offline_mover");
  const refuse = (route: Route) => route.abort();
  await page.route(LIVE, refuse);
  await page.route(TOP, refuse);

  await page.goto("/");
  await expect(connection(page)).toHaveAttribute("data-connection", "reconnecting");
  await expect(connection(page)).toHaveAttribute("data-connection", "offline", { timeout: 20_000 });
  const retry = page.getByRole("button", { name: "Retry" });
  await expect(retry).toBeVisible();

  // Right after a failed read, the next one is 5 s away: Retry does not wait for it.
  await page.waitForEvent("requestfailed", (request) => request.url().includes("/api/trpc/leaderboard.top?"));
  await page.unroute(LIVE, refuse);
  await page.unroute(TOP, refuse);
  const scored = await dailyBonus(mover.client);
  await retry.click();
  await expect(connection(page)).toHaveAttribute("data-connection", "live", { timeout: 3_000 });
  await expect(retry).toHaveCount(0);
  await expect(scoreCell(page, mover.id)).toHaveText(String(scored.score));
});

test("a device that goes offline says Offline at once, and comes back Live without a reload", async ({ page, context, baseURL }) => {
  const mover = await player(baseURL!, "device_mover");
  await page.goto("/");
  await expect(connection(page)).toHaveAttribute("data-connection", "live");
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

  await context.setOffline(true);
  await expect(connection(page)).toHaveAttribute("data-connection", "offline");
  await expect(page.getByRole("button", { name: "Retry" })).toBeVisible();
  const scored = await dailyBonus(mover.client);

  await context.setOffline(false);
  await expect(connection(page)).toHaveAttribute("data-connection", "live");
  await expect(scoreCell(page, mover.id)).toHaveText(String(scored.score));
  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
});
