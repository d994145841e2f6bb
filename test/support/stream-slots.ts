import { AppError } from "../../src/server/api/errors";

/**
 * Stream slots for the board's answers in isolation (`claimStream` as the app wires it): admits
 * `limit` streams at once and refuses the next as the app does; `open` counts the slots held,
 * `released` the releases (a second release of one slot is not counted).
 */
export function streamSlotsFor(limit = Infinity) {
  const slots = {
    open: 0,
    released: 0,
    claimStream: async () => {
      if (slots.open >= limit) throw new AppError("RATE_LIMITED", "Too many live streams.", { retryAfterMs: 1_000 });
      slots.open += 1;
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          slots.open -= 1;
          slots.released += 1;
        },
      };
    },
  };
  return slots;
}
