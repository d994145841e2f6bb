/**
 * The live scenarios' drivers: users holding the top of the board at ten score levels a point
 * apart (seed.ts). Every submit of theirs must change the top 10, so every subscriber of it has
 * an event to receive: a lift always goes to the lowest driver and adds 10, which puts it above
 * every other driver (or level with at most a few that reached the score first), in the top 10.
 * Lifting the lowest each time goes round all the drivers in turn, so with 50 of them each one
 * submits at a fiftieth of the scenario's rate, far under the per-user rate limit.
 */
import { randomUUID } from "node:crypto";

import { issueActionToken } from "../../src/server/scoring/token";
import { ScoreboardClient } from "../../test/support/client";
import type { OutputOf } from "../../test/support/wire";
import { DRIVER_BASE_SCORE, type BenchUser } from "../seed";
import { wallClockMs } from "../stats";

export type Driver = { user: BenchUser; score: number; clients: ScoreboardClient[] };

/** The drivers as seeded (seed.ts), each signed in on every instance. */
export function createDrivers(users: BenchUser[], origins: string[]): Driver[] {
  return users.map((user, index) => ({
    user,
    score: DRIVER_BASE_SCORE + ((index + 1) % 10),
    clients: origins.map((origin) => new ScoreboardClient(origin, { headers: { cookie: user.cookie } })),
  }));
}

export type Lift = {
  /** `userId:newScore`: how a subscriber recognises the submit in a snapshot. */
  key: string;
  userId: string;
  result: OutputOf<"score.submit">;
  /** When the submit was sent, in wall-clock ms (comparable across processes; see stats.ts). */
  sentAt: number;
  answeredAt: number;
};

/**
 * Submits a COMPLETE_TASK for the lowest driver through instance `target`. The token is minted
 * as if the action had started 3 s ago (past its 2 s minimum), as the browser would have it.
 * The driver's score is raised before the submit is sent, so concurrent lifts pick others.
 */
export async function liftLowestDriver(drivers: Driver[], target: number, tokenKey: Buffer): Promise<Lift> {
  const driver = drivers.reduce((lowest, candidate) => (candidate.score < lowest.score ? candidate : lowest));
  driver.score += 10;
  const action = issueActionToken(tokenKey, { userId: driver.user.id, actionType: "COMPLETE_TASK", actionId: randomUUID(), issuedAt: Date.now() - 3_000 });
  const sentAt = wallClockMs();
  try {
    const result = await driver.clients[target]!.mutate("score.submit", { actionId: action.actionId, token: action.token });
    driver.score = result.score;
    return { key: `${driver.user.id}:${result.score}`, userId: driver.user.id, result, sentAt, answeredAt: wallClockMs() };
  } catch (error) {
    driver.score -= 10;
    throw error;
  }
}
