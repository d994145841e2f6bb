import { ScoreboardClient } from "../test/support/client";
import { expect, ownAppForThisFile, test } from "./fixtures";
import { PASSWORD, uniqueUsername } from "./helpers";

ownAppForThisFile();

async function signedUpClient(baseURL: string) {
  const client = new ScoreboardClient(baseURL);
  const username = uniqueUsername("score");
  await client.signIn({ username, password: PASSWORD, intent: "signup" });
  return { client, username };
}

/** Resolves once this machine's clock (the server's too) has reached `instant`. */
async function reach(instant: Date) {
  while (Date.now() < instant.getTime()) {
    // The passage of the action's minimum time is what the test checks: nothing earlier can signal it.
    await new Promise((resolve) => setTimeout(resolve, instant.getTime() - Date.now()));
  }
}

test("a submit before the action's minimum time is refused and changes nothing", async ({ baseURL }) => {
  const { client } = await signedUpClient(baseURL!);
  const started = await client.mutate("action.start", { actionType: "WIN_MATCH" });
  // WIN_MATCH takes at least 5 s: this submit, right after the start, comes too early.
  expect(await client.call("mutation", "score.submit", { actionId: started.actionId, token: started.token })).toMatchObject({
    status: 400,
    error: { data: { reason: "TOO_FAST" } },
  });
  expect(await client.query("leaderboard.me")).toMatchObject({ score: 0 });
});

test("a signed-in player starts an action, completes it once its time has come, and climbs the board", async ({ baseURL }) => {
  const { client, username } = await signedUpClient(baseURL!);
  const started = await client.mutate("action.start", { actionType: "COMPLETE_TASK" });
  await reach(started.minCompleteAt);

  const result = await client.mutate("score.submit", { actionId: started.actionId, token: started.token });
  expect(result).toMatchObject({ score: 10, delta: 10, replayed: false, rank: expect.any(Number) });

  // The same action again counts once.
  expect(await client.mutate("score.submit", { actionId: started.actionId, token: started.token })).toMatchObject({
    score: 10,
    delta: 0,
    replayed: true,
    rank: result.rank,
  });
  expect(await client.query("leaderboard.me")).toMatchObject({ displayName: username, score: 10, rank: result.rank });
  const { entries } = await client.query("leaderboard.top", { limit: 100 });
  expect(entries.find((entry) => entry.userId === result.userId)).toMatchObject({ score: 10, rank: result.rank });
});

test("a client cannot choose what is added, nor use another player's action", async ({ baseURL }) => {
  const alice = await signedUpClient(baseURL!);
  const bob = await signedUpClient(baseURL!);
  const started = await alice.client.mutate("action.start", { actionType: "DAILY_BONUS" });
  const submission = { actionId: started.actionId, token: started.token };

  for (const extra of [{ delta: 1_000_000 }, { score: 1e9 }, { userId: "00000000-0000-0000-0000-000000000000" }]) {
    const forged = { ...submission, ...extra };
    expect(await alice.client.call("mutation", "score.submit", forged), JSON.stringify(extra)).toMatchObject({
      status: 400,
      error: { data: { reason: "INVALID_INPUT" } },
    });
  }
  expect(await bob.client.call("mutation", "score.submit", submission)).toMatchObject({ status: 403, error: { data: { reason: "INVALID_TOKEN" } } });
  expect(await alice.client.call("mutation", "action.start", { actionType: "FREE_POINTS" })).toMatchObject({
    status: 400,
    error: { data: { reason: "UNKNOWN_ACTION" } },
  });
  const stranger = new ScoreboardClient(baseURL!);
  expect(await stranger.call("mutation", "action.start", { actionType: "WIN_MATCH" })).toMatchObject({
    status: 401,
    error: { data: { reason: "UNAUTHENTICATED" } },
  });

  expect(await alice.client.query("leaderboard.me")).toMatchObject({ score: 0 });
});
