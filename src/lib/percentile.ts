/**
 * The share of `total` players ranked at or above `rank`, in whole percent rounded up ("top 8 %");
 * null without a rank. One rounding for the server (leaderboard.me) and the page, which works it
 * out from a neighbourhood read (src/app/_components/board-changes.ts standingFromAround).
 */
export function percentileOf(rank: number | null, total: number): number | null {
  if (rank === null || total === 0) return null;
  return Math.min(100, Math.ceil((rank / total) * 100));
}
