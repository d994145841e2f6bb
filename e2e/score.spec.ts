import { expect, test, type APIRequestContext } from "@playwright/test";

import { PASSWORD, signInOverHttp, trpcMutation, trpcQuery, uniqueUsername } from "./helpers";

type Started = { actionId: string; token: string; minCompleteAt: { toString(): string } };
type Submitted = { userId: string; score: number; delta: number; rank: number | null; replayed: boolean };

async function signedInClient(playwright: { request: { newContext(options: { baseURL?: string }): Promise<APIRequestContext> } }, baseURL?: string) {
  const client = await playwright.request.newContext({ baseURL });
  const username = uniqueUsername("score");
  expect((await signInOverHttp(client, { username, password: PASSWORD, intent: "signup" })).status()).toBe(200);
  return { client, username };
}

test("a signed-in player starts an action, completes it, and climbs the board", async ({ playwright, baseURL }) => {
  const { client, username } = await signedInClient(playwright, baseURL);

  const start = await trpcMutation(client, "action.start", { actionType: "WIN_MATCH" });
  expect(start.status).toBe(200);
  const started = start.body.result!.data.json as Started;

  // WIN_MATCH takes at least 5 s: an early submit is refused and changes nothing.
  const early = await trpcMutation(client, "score.submit", { actionId: started.actionId, token: started.token });
  expect(early.status).toBe(400);
  expect(early.body.error?.json.data.reason).toBe("TOO_FAST");

  await new Promise((resolve) => setTimeout(resolve, 5_100));
  const submit = await trpcMutation(client, "score.submit", { actionId: started.actionId, token: started.token });
  expect(submit.status).toBe(200);
  const result = submit.body.result!.data.json as Submitted;
  expect(result).toMatchObject({ score: 25, delta: 25, replayed: false, rank: expect.any(Number) });

  // The same action again counts once.
  const replay = await trpcMutation(client, "score.submit", { actionId: started.actionId, token: started.token });
  expect(replay.body.result?.data.json).toMatchObject({ score: 25, delta: 0, replayed: true, rank: result.rank });

  const me = await trpcQuery(client, "leaderboard.me");
  expect(me.body.result?.data.json).toMatchObject({ displayName: username, score: 25, rank: result.rank });

  const top = await trpcQuery(client, "leaderboard.top", { limit: 100 });
  const entries = (top.body.result!.data.json as { entries: { userId: string; score: number; rank: number }[] }).entries;
  expect(entries.find((entry) => entry.userId === result.userId)).toMatchObject({ score: 25, rank: result.rank });
  await client.dispose();
});

test("a client cannot choose what is added, nor use another player's action", async ({ playwright, baseURL }) => {
  const alice = await signedInClient(playwright, baseURL);
  const bob = await signedInClient(playwright, baseURL);

  const start = await trpcMutation(alice.client, "action.start", { actionType: "DAILY_BONUS" });
  const started = start.body.result!.data.json as Started;

  for (const extra of [{ delta: 1_000_000 }, { score: 1e9 }, { userId: "00000000-0000-0000-0000-000000000000" }]) {
    const forged = await trpcMutation(alice.client, "score.submit", { actionId: started.actionId, token: started.token, ...extra });
    expect(forged.status).toBe(400);
    expect(forged.body.error?.json.data.reason).toBe("INVALID_INPUT");
  }

  const stolen = await trpcMutation(bob.client, "score.submit", { actionId: started.actionId, token: started.token });
  expect(stolen.status).toBe(403);
  expect(stolen.body.error?.json.data.reason).toBe("INVALID_TOKEN");

  const unknown = await trpcMutation(alice.client, "action.start", { actionType: "FREE_POINTS" });
  expect(unknown.status).toBe(400);
  expect(unknown.body.error?.json.data.reason).toBe("UNKNOWN_ACTION");

  const stranger = await playwright.request.newContext({ baseURL });
  const anonymous = await trpcMutation(stranger, "action.start", { actionType: "WIN_MATCH" });
  expect(anonymous.status).toBe(401);
  expect(anonymous.body.error?.json.data.reason).toBe("UNAUTHENTICATED");
  await stranger.dispose();

  const me = await trpcQuery(alice.client, "leaderboard.me");
  expect(me.body.result?.data.json).toMatchObject({ score: 0 });
  await alice.client.dispose();
  await bob.client.dispose();
});
