import { TRPCClientError } from "@trpc/client";

import { formatNumber } from "./format";

/** The API's machine-readable reasons, as sentences a player can act on. */
const SENTENCES: Record<string, string> = {
  UNAUTHENTICATED: "Sign in to play.",
  RATE_LIMITED: "You're going too fast.",
  ACTION_CAP_REACHED: "You've reached the limit for this action for now. Try another one, or come back later.",
  BANNED: "Your account is banned from playing.",
  TOKEN_EXPIRED: "That action expired. Start it again.",
  TOO_FAST: "Not yet: finish the action first.",
  INVALID_TOKEN: "That action could not be verified. Start it again.",
  UNKNOWN_ACTION: "There is no such action.",
  DB_UNAVAILABLE: "The game is briefly unavailable. Try again in a moment.",
};

const FALLBACK = "Something went wrong. Try again.";

/** How numbers are written: the reader's locale (useFormat() in ./reader-locale.tsx), else the runtime's. */
type Formats = { number(value: number): string };
const RUNTIME_FORMATS: Formats = { number: (value) => formatNumber(value) };

/** A reason the API gives (`RATE_LIMITED`, …) as a sentence. */
export function describeReason(reason: string): string {
  return SENTENCES[reason] ?? FALLBACK;
}

export function describeError(error: unknown, format: Formats = RUNTIME_FORMATS): string {
  if (error instanceof TRPCClientError) {
    const data = error.data as { reason?: string; retryAfterMs?: number } | undefined;
    const sentence = data?.reason ? SENTENCES[data.reason] : undefined;
    if (sentence && data?.reason === "RATE_LIMITED" && data.retryAfterMs) {
      return `${sentence} Try again in ${format.number(Math.ceil(data.retryAfterMs / 1000))} s.`;
    }
    if (sentence) return sentence;
  }
  return FALLBACK;
}
