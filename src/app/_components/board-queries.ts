/**
 * How the page's board reads are cached. The board itself is kept fresh by its feed (the live
 * stream, or polling while the stream is down: ./board-feed.ts), never by React Query refetching;
 * the player's own standing and neighbourhood are read again when something could have moved
 * them (./use-standing-sync.ts): after a frame at most every STANDING_REFRESH_MS, and otherwise
 * every STANDING_IDLE_REFRESH_MS while the page is in view.
 */

/** A board kept fresh by the page's feed: not refetched on mount, focus or reconnect. */
export const LIVE_BOARD_QUERY = { staleTime: Infinity, refetchOnWindowFocus: false, refetchOnReconnect: false } as const;

/** Re-reading one's own standing on every board change would cost a request per viewer per change. */
export const STANDING_REFRESH_MS = 2_000;

/**
 * What no frame shows (a player passing me below the top, one removed above me, a jump beyond a
 * frame's reach, the number of players on the board) shows within this time, counted from the
 * last read of my standing of any kind, while the page is in view.
 */
export const STANDING_IDLE_REFRESH_MS = 60_000;

/** `leaderboard.me` and `leaderboard.around`: read again when invalidated (./use-standing-sync.ts), not on focus. */
export const STANDING_QUERY = { staleTime: STANDING_REFRESH_MS, refetchOnWindowFocus: false } as const;
