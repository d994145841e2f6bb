import { randomBytes } from "node:crypto";

import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const PASSWORD = "correct horse battery";

/** A username no other test or run uses: 3-32 of [a-z0-9_]. */
export function uniqueUsername(prefix = "u") {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

export function accountForm(page: Page) {
  return page.getByRole("form", { name: "Sign in or create an account" });
}

export async function submitAccountForm(page: Page, username: string, password: string, intent: "signin" | "signup") {
  const form = accountForm(page);
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: intent === "signup" ? "Create account" : "Sign in" }).click();
}

export async function expectSignedInAs(page: Page, name: string) {
  await expect(page.getByTestId("signed-in-name")).toHaveText(name);
}

/** next-auth's credentials flow over plain HTTP: CSRF token and cookie, then the callback. */
export async function signInOverHttp(
  request: APIRequestContext,
  credentials: { username: string; password: string; intent: "signin" | "signup" },
) {
  const csrf = await request.get("/api/auth/csrf");
  expect(csrf.ok()).toBe(true);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  return request.post("/api/auth/callback/credentials", {
    form: { csrfToken, ...credentials, json: "true" },
    maxRedirects: 0,
  });
}

/** Calls a tRPC query over HTTP the way the browser client does (superjson envelope). */
export async function trpcQuery(request: APIRequestContext, path: string, input?: unknown) {
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await request.get(`/api/trpc/${path}${query}`);
  return { status: response.status(), body: (await response.json()) as TrpcBody };
}

/** Calls a tRPC mutation over HTTP the way the browser client does. */
export async function trpcMutation(request: APIRequestContext, path: string, input: unknown) {
  const response = await request.post(`/api/trpc/${path}`, { data: { json: input } });
  return { status: response.status(), body: (await response.json()) as TrpcBody };
}

type TrpcBody = {
  result?: { data: { json: unknown } };
  error?: {
    json: {
      message: string;
      code: number;
      data: { code: string; httpStatus: number; reason: string; fieldErrors?: Record<string, string[]>; retryAfterMs?: number };
    };
  };
};
