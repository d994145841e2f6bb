/**
 * The board's shapes, shared by every layer that handles it: the Postgres queries and the Redis
 * store below, the leaderboard and the live board above. This module imports nothing, so it is
 * the bottom those layers stand on.
 */

export type BoardEntry = { rank: number; userId: string; displayName: string; score: number };

/** A snapshot of the board's top; equal versions mean equal boards. */
export type Board = { entries: BoardEntry[]; version: number; generatedAt: Date };

export type MyStanding = { userId: string; displayName: string; score: number; rank: number | null; hidden: boolean };

/** A user's state as of one database version; `visible: false` takes them off the board. */
export type BoardWrite = {
  userId: string;
  version: number;
  score: number;
  reachedMicros: string;
  displayName: string;
  visible: boolean;
};

/** Board changes made by any instance, as the live board follows them. */
export type BoardChangeFeed = {
  /**
   * Follows every board change published by any instance: `onChange` per message, `onReady`
   * once the subscription is in place, `onLost` when it failed. Returns a stop function.
   */
  subscribe(handlers: { onChange(): void; onReady(): void; onLost(): void }): () => void;
  /** The board version Redis holds now and whether its board is built, or null when unreachable. */
  currentVersion(): Promise<{ version: string; built: boolean } | null>;
};
