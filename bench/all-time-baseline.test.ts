import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";

import { ACTION_RULES } from "../src/server/scoring/rules";
import { changeStatement, type ScoreChange } from "../src/server/scoring/score-service";
import { allTimeStatement } from "./all-time-baseline";

const dialect = new PgDialect();
const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

/** The app's statement with its window rows taken out: the `windowed` step and the columns read from it. */
function withoutWindows(text: string) {
  const start = text.indexOf(", windowed as (");
  expect(start).toBeGreaterThan(0);
  let depth = 0;
  let end = text.indexOf("(", start);
  for (; end < text.length; end++) {
    if (text[end] === "(") depth++;
    if (text[end] === ")" && --depth === 0) break;
  }
  const columns = / ?, \(select [^()]* from windowed [^()]*\)::text as \w+/g;
  const rest = text.slice(end + 1);
  expect(rest.match(columns)).toHaveLength(4);
  return `${text.slice(0, start)}${rest.replace(columns, "")}`;
}

const change = (overrides: Partial<ScoreChange>): ScoreChange => ({
  userId: "00000000-0000-4000-8000-000000000001",
  actionId: "00000000-0000-4000-8000-000000000002",
  actionType: "COMPLETE_TASK",
  delta: ACTION_RULES.COMPLETE_TASK.delta,
  cap: ACTION_RULES.COMPLETE_TASK.cap,
  actorId: null,
  metadata: { issuedAt: "2026-11-30T12:00:00.000Z" },
  ip: "127.0.0.1",
  userAgent: "test",
  ...overrides,
});

describe("the all-time-only baseline of the window cost comparison", () => {
  it.each([
    ["a capped action", change({})],
    ["an administrator's correction", change({ actionType: "ADMIN_ADJUST", cap: null, actorId: "00000000-0000-4000-8000-000000000003", delta: -5 })],
  ])("is the app's statement without the window rows: %s", (_, scoreChange) => {
    const app = dialect.sqlToQuery(changeStatement(scoreChange));
    const baseline = dialect.sqlToQuery(allTimeStatement(scoreChange));
    expect(oneLine(baseline.sql)).toBe(withoutWindows(oneLine(app.sql)));
    // The window step's parameters (the user id and the delta) come last in the app's.
    expect(app.params.slice(0, baseline.params.length)).toEqual(baseline.params);
    expect(app.params.length - baseline.params.length).toBe(2);
  });
});
