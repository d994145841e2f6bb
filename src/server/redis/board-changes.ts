/**
 * A board's change feed across instances: the store's write script PUBLISHes on the boards'
 * channel whenever any board changed, and the board's version and ready keys say where it stands.
 */
import type { Redis } from "@upstash/redis";

import type { BoardChangeFeed, BoardScope } from "~/server/board/types";
import { rankingOf } from "./board-store";
import type { BoardKeys } from "./keys";

/** The feed of the board `scope` names at each moment (a window's current period). */
export function createBoardChangeFeed(
  redis: Redis,
  keys: BoardKeys,
  scope: () => BoardScope,
  onError: (operation: string, error: unknown) => void,
): BoardChangeFeed {
  return {
    subscribe({ onChange, onReady, onLost }) {
      const subscriber = redis.subscribe<string>([keys.changes]);
      subscriber.on("subscribe", () => onReady());
      subscriber.on("message", () => onChange());
      subscriber.on("error", (error) => {
        onError("subscribe", error);
        onLost();
      });
      return () => void subscriber.unsubscribe().catch((error: unknown) => onError("unsubscribe", error));
    },
    async currentVersion() {
      try {
        const ranking = rankingOf(keys, scope()).keys;
        const [version, ready] = await redis.mget<[string | null, string | null]>(ranking.version, ranking.ready);
        return { version: version ?? "0", built: ready !== null };
      } catch (error) {
        onError("poll", error);
        return null;
      }
    },
  };
}
