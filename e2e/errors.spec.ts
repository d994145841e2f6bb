import type { Page } from "@playwright/test";
import postgres from "postgres";

import { ScoreboardClient } from "../test/support/client";
import { expect, type FileApp, ownAdminForThisFile, ownAppForThisFile, test } from "./fixtures";
import { expectNoSeriousViolations, PASSWORD, playAction, signedIn, uniqueUsername } from "./helpers";

/**
 * The app's error page (src/app/error.tsx), as a visitor meets it: this file's database goes
 * away the way an outage looks to the app (new connections refused, open ones cut), a page whose
 * render needs it (/admin) shows "Something went wrong" with a way to try again and a way back to
 * the board, and nothing of the failure but a reference; the board itself keeps working from
 * Redis; and once the database is back, "Try again" renders the page for real.
 *
 * Only this file's own database is taken down (`app.env.DATABASE_URL`): other files' apps and
 * databases on the same server never notice.
 *
 * global-error.tsx is not covered here: it renders only when the root layout itself fails, and
 * the root layout (src/app/layout.tsx) needs no service: it reads the Accept-Language header,
 * parsed so that any value is safe, and wraps the page in client providers. No outage and no
 * request a visitor can make reaches it in a production build.
 */

ownAppForThisFile();

const ADMIN = ownAdminForThisFile({ username: "errors_admin", password: "errors admin password, constant" });
/** A player with points, so the board has a row to show during the outage. */
const PLAYER = uniqueUsername("err_board");

test.beforeAll(async ({ app }) => {
  const player = new ScoreboardClient(app.server.url);
  await player.signIn({ username: PLAYER, password: PASSWORD, intent: "signup" });
  await playAction(player, "DAILY_BONUS");
});

/** The file's database's name, and a URL for the server's own `postgres` database beside it. */
function databaseOf(app: FileApp) {
  const url = new URL(app.env.DATABASE_URL!);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  return { name, serverUrl: url.toString() };
}

async function onServer<T>(app: FileApp, work: (server: postgres.Sql, name: string) => Promise<T>) {
  const { name, serverUrl } = databaseOf(app);
  const server = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    return await work(server, name);
  } finally {
    await server.end();
  }
}

/**
 * An outage as the app sees it: the database refuses new connections ("not currently accepting
 * connections") and the app's open ones are cut, so its pool's next query has to reconnect and
 * fails. Returns the message the app's queries now fail with, for the leak checks.
 */
async function takeDatabaseDown(app: FileApp) {
  await onServer(app, async (server, name) => {
    await server.unsafe(`alter database "${name}" allow_connections false`);
    await server`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
    // pg_terminate_backend only signals: the outage is whole once those sessions are gone.
    await expect
      .poll(async () => (await server`select count(*)::int as n from pg_stat_activity where datname = ${name}`)[0]!.n, {
        message: "the app's sessions on its database end",
      })
      .toBe(0);
  });
  // The outage is real for any client, not only the app.
  const probe = postgres(app.env.DATABASE_URL!, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const refused = await probe`select 1`.then(
      () => null,
      (error: Error) => error.message,
    );
    expect(refused, "a new connection to the file's database is refused").toMatch(/not currently accepting connections/);
    return refused!;
  } finally {
    await probe.end();
  }
}

/** Ends the outage: every test that starts one ends it in a `finally`, whatever happened in between. */
async function bringDatabaseBack(app: FileApp) {
  await onServer(app, async (server, name) => {
    const [exists] = await server`select 1 from pg_database where datname = ${name}`;
    if (exists) await server.unsafe(`alter database "${name}" allow_connections true`);
  });
}

const errorAlert = (page: Page) => page.getByRole("alert").filter({ has: page.getByRole("heading", { name: "Something went wrong" }) });
const adminHeading = (page: Page) => page.getByRole("heading", { name: "Admin", exact: true });
const adminRow = (page: Page, username: string) => page.locator(`tr[data-username="${username}"]`);

for (const colorScheme of ["light", "dark"] as const) {
  test(`in ${colorScheme} mode: with the database down, /admin shows the error page, and Try again brings the console back once it is up`, async ({
    browser,
    baseURL,
    app,
  }) => {
    const admin = await signedIn(browser, baseURL!, { ...ADMIN, intent: "signin" });
    try {
      const page = await admin.context.newPage();
      await page.emulateMedia({ colorScheme });
      // The console is there before the outage (read over HTTP, so no read of the console's own is cut off halfway by it).
      expect((await admin.client.request("/admin")).status).toBe(200);

      const failure = await takeDatabaseDown(app);
      const logFrom = app.server.output.lineCount;
      const response = await page.goto("/admin");
      expect(response?.status(), "the failed render is not answered as a success").toBe(500);

      // The app's error page, inside the app's layout: what happened, what to do, the way back.
      const alert = errorAlert(page);
      await expect(alert).toBeVisible();
      await expect(page.getByRole("heading", { name: "Live Scoreboard", level: 1 })).toBeVisible();
      await expect(alert).toContainText("This page could not be loaded just now. It usually comes back in a moment.");
      await expect(alert.getByRole("button", { name: "Try again" })).toBeVisible();
      await expect(alert.getByRole("link", { name: "Back to the board" })).toHaveAttribute("href", "/");
      await expect(adminHeading(page)).toHaveCount(0);

      // Nothing of the failure reaches the visitor but a reference, which names it in the server's log.
      const reference = alert.locator(".mono");
      await expect(reference).toHaveText(/^\w+$/);
      const digest = (await reference.textContent())!;
      await expect.poll(() => app.server.output.text(logFrom), { message: "the server's log names the reference" }).toContain(digest);
      const shown = await page.locator("body").innerText();
      const served = await response!.text();
      for (const secret of [failure, databaseOf(app).name, "not currently accepting connections", "Failed query", admin.id]) {
        expect(shown, "the page shows nothing of the failure").not.toContain(secret);
        expect(served, "the HTML carries nothing of the failure").not.toContain(secret);
      }
      expect(shown, "no stack trace").not.toMatch(/\bat \S+ \(|\.js:\d+:\d+/);

      await expectNoSeriousViolations(page, `the error page, ${colorScheme}`);

      // The database comes back; the visitor presses Try again and gets the console, in the same document.
      await bringDatabaseBack(app);
      await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
      await alert.getByRole("button", { name: "Try again" }).click();
      await expect(adminHeading(page)).toBeVisible();
      await expect(adminRow(page, ADMIN.username)).toBeVisible();
      await expect(errorAlert(page)).toHaveCount(0);
      expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), "recovered without a reload").toBe(true);
    } finally {
      await bringDatabaseBack(app);
      await admin.context.close();
    }
  });
}

test("with the database down, the board still shows from Redis, for a visitor and through the error page's way back", async ({ browser, baseURL, app, page }) => {
  const admin = await signedIn(browser, baseURL!, { ...ADMIN, intent: "signin" });
  try {
    await takeDatabaseDown(app);

    const visitorResponse = await page.goto("/");
    expect(visitorResponse?.status()).toBe(200);
    await expect(page.locator("table.board td.player", { hasText: PLAYER })).toBeVisible();
    await expect(errorAlert(page)).toHaveCount(0);

    const adminPage = await admin.context.newPage();
    await adminPage.goto("/admin");
    await expect(errorAlert(adminPage)).toBeVisible();
    await errorAlert(adminPage).getByRole("link", { name: "Back to the board" }).click();
    await expect(adminPage).toHaveURL(/\/$/);
    await expect(adminPage.locator("table.board td.player", { hasText: PLAYER })).toBeVisible();
    await expect(errorAlert(adminPage)).toHaveCount(0);
  } finally {
    await bringDatabaseBack(app);
    await admin.context.close();
  }
});
