import { execFileSync } from "node:child_process";

import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";

import { sharedAppEnv, startAppServer, type AppServer } from "./app-server";
import { PASSWORD, signInOverHttp, trpcMutation, uniqueUsername } from "./helpers";

/**
 * The live board in a real browser: leaderboard.live over SSE, across users, app instances and a
 * lost stream. Users are new per test; the board is the run's shared one, so every test makes sure
 * (through the rank a submit returns) that the user it watches is on the top 10 the page shows.
 */

type Started = { actionId: string; token: string };
type Submitted = { userId: string; score: number; delta: number; rank: number | null; replayed: boolean };
type Player = { context: BrowserContext; id: string; username: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A browser context signed up as a new user on `baseURL` (over HTTP, sharing the context's cookies). */
async function newPlayer(browser: Browser, baseURL: string, prefix = "live"): Promise<Player> {
  const context = await browser.newContext({ baseURL });
  const username = uniqueUsername(prefix);
  const response = await signInOverHttp(context.request, { username, password: PASSWORD, intent: "signup" });
  expect(response.status(), `sign-up of ${username}`).toBe(200);
  const session = (await (await context.request.get("/api/auth/session")).json()) as { user: { id: string } };
  return { context, id: session.user.id, username };
}

/** Starts an action over HTTP as the player. */
async function startAction(player: Player, actionType: "COMPLETE_TASK" | "WIN_MATCH" | "DAILY_BONUS") {
  const start = await trpcMutation(player.context.request, "action.start", { actionType });
  expect(start.status, JSON.stringify(start.body.error?.json)).toBe(200);
  return start.body.result!.data.json as Started;
}

async function submitAction(player: Player, action: Started) {
  const submit = await trpcMutation(player.context.request, "score.submit", { actionId: action.actionId, token: action.token });
  expect(submit.status, JSON.stringify(submit.body.error?.json)).toBe(200);
  return submit.body.result!.data.json as Submitted;
}

/** A DAILY_BONUS (50, no wait) over HTTP; the player must land on the top 10 for the page to show them. */
async function dailyBonus(player: Player) {
  const result = await submitAction(player, await startAction(player, "DAILY_BONUS"));
  expect(result).toMatchObject({ delta: 50, replayed: false });
  expect(result.rank, `precondition: ${player.username} is on the top 10 (rank ${result.rank})`).not.toBeNull();
  expect(result.rank!).toBeLessThanOrEqual(10);
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

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

test("a score completed in one user's page appears in another user's board without reload", async ({ browser, baseURL }, testInfo) => {
  const alice = await newPlayer(browser, baseURL!, "alice");
  const bob = await newPlayer(browser, baseURL!, "bob");
  try {
    await dailyBonus(alice); // 50: on the top 10 before the action we watch
    const alicePage = await alice.context.newPage();
    const bobPage = await bob.context.newPage();
    await openBoard(alicePage);
    await openBoard(bobPage);
    await expect(scoreCell(bobPage, alice.id)).toHaveText("50");

    await alicePage.getByRole("radio", { name: /Complete a task/ }).check();
    await alicePage.getByRole("button", { name: "Start" }).click();
    const complete = alicePage.getByRole("button", { name: "Complete" });
    await expect(alicePage.getByRole("progressbar")).toBeVisible();
    await expect(complete).toBeEnabled({ timeout: 5_000 });
    await complete.click();
    const toast = alicePage.locator(".toast");
    await expect(toast).toHaveText(/^\+10 points! You're number (\d+) with 60\.$/);
    const toastAt = Date.now();
    const rank = Number(/number (\d+)/.exec((await toast.textContent()) ?? "")![1]);
    expect(rank).toBeLessThanOrEqual(10);

    // Bob's board shows Alice's new score within 2 s of her toast, on the same document.
    await expect(scoreCell(bobPage, alice.id)).toHaveText("60", { timeout: 2_000 });
    console.log(`two users: Bob's board showed Alice's 60 ${Date.now() - toastAt} ms after her toast (upper bound)`);
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

test("submit-to-browser latency over 20 submits (measurement)", async ({ browser, baseURL }) => {
  test.setTimeout(45_000);
  const alice = await newPlayer(browser, baseURL!, "lat");
  const bob = await newPlayer(browser, baseURL!, "watch");
  try {
    let score = (await dailyBonus(alice)).score;
    const alicePage = await alice.context.newPage();
    const bobPage = await bob.context.newPage();
    await openBoard(alicePage);
    await openBoard(bobPage);
    // Record in Bob's page when each score of Alice's first shows in her row (DOM commit time).
    await bobPage.evaluate((userId) => {
      const seen: Record<string, number> = {};
      (window as unknown as { __seen: Record<string, number> }).__seen = seen;
      const record = () => {
        const text = document.querySelector(`tbody tr[data-flip-key="${userId}"] td.numeric`)?.textContent;
        if (text) {
          const value = text.replace(/,/g, "");
          if (!(value in seen)) seen[value] = Date.now();
        }
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
      record();
    }, alice.id);
    await expect(scoreCell(bobPage, alice.id)).toHaveText(String(score));

    // 20 COMPLETE_TASK in two rounds of 10: 20 starts and 20 submits in all, within the per-user limit.
    const fromResponse: number[] = [];
    const fromRequest: number[] = [];
    for (let round = 0; round < 2; round++) {
      const actions = await Promise.all(Array.from({ length: 10 }, () => startAction(alice, "COMPLETE_TASK")));
      await sleep(2_100);
      for (const action of actions) {
        const sentAt = Date.now();
        const result = await submitAction(alice, action);
        const answeredAt = Date.now();
        expect(result).toMatchObject({ delta: 10, score: score + 10, replayed: false });
        score = result.score;
        expect(result.rank!, "Alice stays on the top 10").toBeLessThanOrEqual(10);
        const handle = await bobPage.waitForFunction(
          (value) => (window as unknown as { __seen: Record<string, number> }).__seen[value] ?? false,
          String(score),
          { timeout: 2_000 },
        );
        const shownAt = (await handle.jsonValue()) as number;
        fromResponse.push(shownAt - answeredAt);
        fromRequest.push(shownAt - sentAt);
        await sleep(300);
      }
    }
    await expectNotReloaded(bobPage);
    await expect(scoreCell(bobPage, alice.id)).toHaveText(String(score));
    const summary = (values: number[]) => `p50 ${percentile(values, 50)} ms, max ${Math.max(...values)} ms, min ${Math.min(...values)} ms`;
    console.log(`submit→Bob's page, n=${fromResponse.length}: from the submit's response ${summary(fromResponse)}; from sending the submit ${summary(fromRequest)}`);
    console.log(`  from response, each (ms): ${fromResponse.join(", ")}`);
    expect(fromResponse).toHaveLength(20);
    for (const latency of fromResponse) expect(latency).toBeLessThanOrEqual(2_000);
  } finally {
    await alice.context.close();
    await bob.context.close();
  }
});

/** The pid of the process listening on `port` (the instance's next-server), from `ss`. */
function listenerPid(port: number): number | null {
  const out = execFileSync("ss", ["-Htlnp", `sport = :${port}`]).toString();
  const match = /pid=(\d+)/.exec(out);
  return match ? Number(match[1]) : null;
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("a page whose app instance goes away shows Reconnecting…, then catches up without reload when it returns", async ({ browser, baseURL }) => {
  test.setTimeout(60_000);
  let instance: AppServer | null = await startAppServer(sharedAppEnv());
  const port = instance.port;
  const serverPid = listenerPid(port);
  expect(serverPid, "the instance's server process").not.toBeNull();
  const viewer = await newPlayer(browser, instance.url, "away");
  const mover = await newPlayer(browser, baseURL!, "mover");
  try {
    const page = await viewer.context.newPage();
    await openBoard(page, instance.url);
    const moverCell = () => page.evaluate((userId) => document.querySelector(`tbody tr[data-flip-key="${userId}"] td.numeric`)?.textContent ?? null, mover.id);
    // The mover has 0 points: on a young board they may be listed, never with 50.
    expect(await moverCell()).not.toBe("50");

    // Stop it as a deploy or `docker stop` does: SIGTERM to the whole process group.
    const stoppingAt = Date.now();
    await instance.stop();
    instance = null;
    const stoppedAt = Date.now();
    // On SIGTERM the instance ends its live streams (see src/server/shutdown.ts), so it exits
    // promptly instead of draining them for minutes, and the page notices at once.
    expect(isAlive(serverPid!), "the stopped instance's server process").toBe(false);
    await expect(connection(page)).toHaveAttribute("data-connection", "reconnecting", { timeout: 5_000 });
    const lostStreamAt = Date.now();

    // While it is down, the board changes through the main instance.
    const result = await dailyBonus(mover);
    expect(result.score).toBe(50);
    await sleep(500);
    expect(await moverCell(), "nothing reaches a page whose instance is down").not.toBe("50");

    const restartingAt = Date.now();
    instance = await startAppServer(sharedAppEnv(), port);
    const restartedAt = Date.now();
    await expect(connection(page)).toHaveAttribute("data-connection", "live", { timeout: 10_000 });
    const liveAt = Date.now();
    await expect(scoreCell(page, mover.id)).toHaveText("50", { timeout: 10_000 });
    const caughtUpAt = Date.now();
    await expectNotReloaded(page);
    console.log(
      `reconnect: stop() returned in ${stoppedAt - stoppingAt} ms; stream lost ${lostStreamAt - stoppedAt} ms after that; ` +
        `restart took ${restartedAt - restartingAt} ms; live again ${liveAt - restartedAt} ms and caught up ${caughtUpAt - restartedAt} ms after it was healthy`,
    );
  } finally {
    await viewer.context.close();
    await mover.context.close();
    await instance?.stop();
    if (serverPid && isAlive(serverPid)) process.kill(serverPid, "SIGKILL");
  }
});

test("a page on a second app instance shows a submit made on the first within 2 s", async ({ browser, baseURL }) => {
  test.setTimeout(45_000);
  const second = await startAppServer(sharedAppEnv());
  const viewer = await newPlayer(browser, second.url, "second");
  const mover = await newPlayer(browser, baseURL!, "first");
  try {
    const page = await viewer.context.newPage();
    await openBoard(page, second.url);
    const subscribers = async () => {
      const text = await (await viewer.context.request.get(`${second.url}/api/metrics`)).text();
      return Number(/^scoreboard_live_subscribers\s+(\d+)/m.exec(text)?.[1] ?? "NaN");
    };
    await expect.poll(subscribers, { message: "the second instance serves the page's stream" }).toBe(1);
    // Its watcher's pub/sub stream opens with the first subscriber; give it a moment to be in place.
    await sleep(500);

    const result = await dailyBonus(mover);
    const answeredAt = Date.now();
    await expect(scoreCell(page, mover.id)).toHaveText(String(result.score), { timeout: 2_000 });
    console.log(`two instances: the second instance's page showed the first's submit within ${Date.now() - answeredAt} ms (upper bound)`);
    await expectNotReloaded(page);

    // Closing the page ends its stream on the server: no watcher is left behind.
    await page.close();
    await expect.poll(subscribers, { message: "the stream ended on the server after the page closed", timeout: 10_000 }).toBe(0);
  } finally {
    await viewer.context.close();
    await mover.context.close();
    await second.stop();
  }
});
