/**
 * How the page's board reads are cached. The board itself is kept fresh by its feed (the live
 * stream, or polling while the stream is down: ./board-feed.ts), never by React Query refetching;
 * the player's own standing and neighbourhood are read again when something could have moved
 * them (./use-standing-sync.ts), at most every STANDING_REFRESH_MS.
 */

/** A board kept fresh by the page's feed: not refetched on mount, focus or reconnect. */
export const LIVE_BOARD_QUERY = { staleTime: Infinity, refetchOnWindowFocus: false, refetchOnReconnect: false } as const;

/** Re-reading one's own standing on every board change would cost a request per viewer per change. */
export const STANDING_REFRESH_MS = 2_000;

/** `leaderboard.me` and `leaderboard.around`: read again when invalidated (./use-standing-sync.ts), not on focus. */
export const STANDING_QUERY = { staleTime: STANDING_REFRESH_MS, refetchOnWindowFocus: false } as const;
