/**
 * The board's change feed across instances: the store's write script PUBLISHes each new board
 * version on the board's channel, and the version and ready keys say where the board stands.
 */
import type { Redis } from "@upstash/redis";

import type { BoardChangeFeed } from "~/server/board/types";
import type { BoardKeys } from "./keys";

export function createBoardChangeFeed(
  redis: Redis,
  keys: Pick<BoardKeys, "changes" | "version" | "ready">,
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
        const [version, ready] = await redis.mget<[string | null, string | null]>(keys.version, keys.ready);
        return { version: version ?? "0", built: ready !== null };
      } catch (error) {
        onError("poll", error);
        return null;
      }
    },
  };
}
