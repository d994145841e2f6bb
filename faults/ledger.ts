/**
 * The client side's record of a run: every action the suite started (per user), every submit
 * it sent and what came back, every score a reader was shown, and a tally of all requests by
 * outcome. The invariant check holds the database and Redis against it.
 *
 * A submit that got no answer, or a 503, is "unknown": it may or may not have committed. One
 * that got a 4xx was definitely refused; one that got a result was acknowledged.
 */
import { TrpcCallError, type ScoreboardClient } from "../test/support/client";
import { NotTrpcAnswer, type Board, type OutputOf } from "../test/support/wire";
import type { StartedAction } from "./load";

export type SubmitResult = OutputOf<"score.submit">;
export type SubmitRecord = { acked: SubmitResult[]; refused: string[]; unknown: number };

export type CallOutcome<T> =
  | { kind: "ok"; value: T }
  | { kind: "refused"; status: number; reason: string; retryAfterMs?: number }
  | { kind: "unavailable"; status: number; reason: string }
  | { kind: "unanswered"; error: string };

/** Tallies of one scenario's requests. */
export class RequestTally {
  readonly counts = new Map<string, number>();
  total = 0;
  /** 5xx other than 503 DB_UNAVAILABLE: never acceptable. */
  serverErrors = 0;
  /** 503 DB_UNAVAILABLE: acceptable only while the database is down. */
  unavailable = 0;
  /** No HTTP answer (connection refused or reset, timeout). */
  unanswered = 0;
  readonly examples: string[] = [];

  count(label: string) {
    this.total += 1;
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  /** "812 ok, 40 429 RATE_LIMITED, …", most frequent first. */
  describe() {
    return [...this.counts].sort((a, b) => b[1] - a[1]).map(([label, n]) => `${n} ${label}`).join(", ");
  }
}

export class Ledger {
  /** Every action id `action.start` returned, per user. */
  readonly issued = new Map<string, Set<string>>();
  /** Per `${userId}/${actionId}`. */
  readonly submits = new Map<string, SubmitRecord>();
  /** Scores readers were shown, per user (leaderboard.top answers and live snapshots). */
  readonly observed = new Map<string, Set<number>>();
  tally = new RequestTally();

  /** Starts a fresh tally (per scenario); the record of actions stays for the whole run. */
  resetTally() {
    const finished = this.tally;
    this.tally = new RequestTally();
    return finished;
  }

  /** Runs one request, counts its outcome and classifies it; never throws. */
  async call<T>(label: string, request: () => Promise<T>): Promise<CallOutcome<T>> {
    try {
      const value = await request();
      this.tally.count(`${label} ok`);
      return { kind: "ok", value };
    } catch (error) {
      if (error instanceof TrpcCallError || error instanceof NotTrpcAnswer) {
        const reason = (error instanceof TrpcCallError ? error.reason : undefined) ?? "(no reason)";
        this.tally.count(`${label} ${error.status} ${reason}`);
        if (error.status === 503 && reason === "DB_UNAVAILABLE") {
          this.tally.unavailable += 1;
          return { kind: "unavailable", status: error.status, reason };
        }
        if (error.status >= 500) {
          this.tally.serverErrors += 1;
          this.note(`${label}: ${error.message}`);
          return { kind: "unavailable", status: error.status, reason };
        }
        const retryAfterMs = error instanceof TrpcCallError ? error.data?.retryAfterMs : undefined;
        return { kind: "refused", status: error.status, reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
      }
      const message = error instanceof Error ? `${error.name}: ${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}` : String(error);
      this.tally.count(`${label} unanswered`);
      this.tally.unanswered += 1;
      this.note(`${label}: ${message}`);
      return { kind: "unanswered", error: message };
    }
  }

  private note(example: string) {
    if (this.tally.examples.length < 5) this.tally.examples.push(example);
  }

  async start(client: ScoreboardClient, userId: string, actionType: string) {
    const outcome = await this.call("action.start", () => client.mutate("action.start", { actionType }));
    if (outcome.kind === "ok") {
      const actions = this.issued.get(userId) ?? new Set<string>();
      actions.add(outcome.value.actionId);
      this.issued.set(userId, actions);
    }
    return outcome;
  }

  async submit(client: ScoreboardClient, userId: string, action: Pick<StartedAction, "actionId" | "token">) {
    const outcome = await this.call("score.submit", () => client.mutate("score.submit", { actionId: action.actionId, token: action.token }));
    const key = `${userId}/${action.actionId}`;
    const record = this.submits.get(key) ?? { acked: [], refused: [], unknown: 0 };
    if (outcome.kind === "ok") record.acked.push(outcome.value);
    else if (outcome.kind === "refused") record.refused.push(outcome.reason);
    else record.unknown += 1;
    this.submits.set(key, record);
    return outcome;
  }

  async top(client: ScoreboardClient, limit = 100) {
    const outcome = await this.call("leaderboard.top", () => client.query("leaderboard.top", { limit }));
    if (outcome.kind === "ok") this.observe(outcome.value);
    return outcome;
  }

  observe(board: Pick<Board, "entries">) {
    for (const entry of board.entries) {
      const scores = this.observed.get(entry.userId) ?? new Set<number>();
      scores.add(entry.score);
      this.observed.set(entry.userId, scores);
    }
  }
}
