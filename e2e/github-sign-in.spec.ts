import { expect, ownAppForThisFile, test } from "./fixtures";
import { accountForm } from "./helpers";

/** GitHub sign-in as a deployment with GITHUB_ID/GITHUB_SECRET has it; e2e/essentials.spec.ts covers the one without. */

const CLIENT_ID = "e2e-github-client-id";

ownAppForThisFile({ GITHUB_ID: CLIENT_ID, GITHUB_SECRET: "e2e-github-client-secret" });

test("with GitHub configured, the sign-in panel offers it and sends the visitor to GitHub to authorize this app", async ({ page, baseURL }) => {
  // GitHub itself stays out of it: the browser's visit to it is answered here, and recorded.
  const visits: URL[] = [];
  await page.route("https://github.com/**", async (route) => {
    visits.push(new URL(route.request().url()));
    await route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>GitHub</title><h1>Authorize Live Scoreboard</h1>" });
  });

  await page.goto("/");
  const button = accountForm(page).getByRole("button", { name: "Sign in with GitHub" });
  await expect(button).toBeVisible();
  await button.click();

  await expect(page).toHaveURL(/^https:\/\/github\.com\/login\/oauth\/authorize\?/);
  await expect(page.getByRole("heading", { name: "Authorize Live Scoreboard" })).toBeVisible();
  expect(visits).toHaveLength(1);
  const authorize = visits[0]!;
  expect(`${authorize.origin}${authorize.pathname}`).toBe("https://github.com/login/oauth/authorize");
  expect(authorize.searchParams.get("client_id")).toBe(CLIENT_ID);
  expect(authorize.searchParams.get("response_type")).toBe("code");
  // GitHub answers to this app's own callback, where next-auth finishes the sign-in.
  expect(authorize.searchParams.get("redirect_uri")).toBe(`${baseURL}/api/auth/callback/github`);
});

test("the server lists GitHub among its ways in", async ({ request }) => {
  const providers = (await (await request.get("/api/auth/providers")).json()) as Record<string, { id: string }>;
  expect(Object.keys(providers).sort()).toEqual(["credentials", "github"]);
});
