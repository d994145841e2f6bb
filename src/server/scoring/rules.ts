/**
 * The action rules: what each action is worth, how long it takes at least, and how often
 * a user may complete it. The server alone decides deltas; clients only name the action.
 */
export type CapWindow = "rolling-hour" | "utc-day";

export type ActionRule = {
  delta: number;
  /** Earliest submit after start, in seconds. */
  minSeconds: number;
  cap: { limit: number; window: CapWindow };
};

export const ACTION_RULES = {
  COMPLETE_TASK: { delta: 10, minSeconds: 2, cap: { limit: 120, window: "rolling-hour" } },
  WIN_MATCH: { delta: 25, minSeconds: 5, cap: { limit: 30, window: "rolling-hour" } },
  DAILY_BONUS: { delta: 50, minSeconds: 0, cap: { limit: 1, window: "utc-day" } },
} as const satisfies Record<string, ActionRule>;

export type ActionType = keyof typeof ACTION_RULES;

/** Audit rows written by administrators rather than by completed actions. */
export const ADMIN_ADJUST = "ADMIN_ADJUST" as const;

/** Action tokens are valid this long after issue. */
export const ACTION_TOKEN_TTL_MS = 5 * 60 * 1000;

export function isActionType(value: string): value is ActionType {
  return Object.hasOwn(ACTION_RULES, value);
}
