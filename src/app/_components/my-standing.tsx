"use client";

import { useEffect, useRef } from "react";

import { api } from "~/trpc/react";

/** Re-reading one's own rank on every board change would cost a request per viewer per change. */
const REFRESH_AT_MOST_EVERY_MS = 5_000;

/**
 * The signed-in player's score and rank. Live from the board snapshot while they are on it;
 * otherwise re-read, at most every few seconds, when the board changes.
 */
export function MyStanding({ limit }: { limit: number }) {
  const utils = api.useUtils();
  const [me] = api.leaderboard.me.useSuspenseQuery(undefined, { staleTime: REFRESH_AT_MOST_EVERY_MS, refetchOnWindowFocus: false });
  const [board] = api.leaderboard.top.useSuspenseQuery({ limit }, { staleTime: Infinity, refetchOnWindowFocus: false });
  const onBoard = board.entries.find((entry) => entry.userId === me.userId);
  const lastRefresh = useRef(0);

  useEffect(() => {
    if (onBoard || me.hidden) return;
    const wait = Math.max(0, lastRefresh.current + REFRESH_AT_MOST_EVERY_MS - Date.now());
    const timer = setTimeout(() => {
      lastRefresh.current = Date.now();
      void utils.leaderboard.me.invalidate();
    }, wait);
    return () => clearTimeout(timer);
  }, [board.version, onBoard, me.hidden, utils]);

  const score = onBoard?.score ?? me.score;
  const rank = onBoard?.rank ?? me.rank;

  return (
    <section className="card standing" aria-labelledby="standing-title">
      <h2 id="standing-title">You</h2>
      <dl>
        <div>
          <dt>Score</dt>
          <dd data-testid="my-score">{score.toLocaleString("en")}</dd>
        </div>
        <div>
          <dt>Rank</dt>
          <dd data-testid="my-rank">{rank === null ? "—" : `#${rank}`}</dd>
        </div>
      </dl>
      {me.hidden ? <p className="muted">You are hidden from the public board, so you have no public rank.</p> : null}
    </section>
  );
}
