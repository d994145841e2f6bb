"use client";

import { useDeferredValue, useEffect, useRef } from "react";

import { boardEventId, type BoardWindow } from "~/lib/board-windows";
import { api } from "~/trpc/react";
import { useBoardWindow } from "./board-window";
import { WINDOW_LABELS } from "./board-window-names";
import { LIVE_BOARD_QUERY } from "./scoreboard";

/** Re-reading one's own rank on every board change would cost a request per viewer per change. */
const REFRESH_AT_MOST_EVERY_MS = 5_000;

const NOT_SCORED_YET: Record<BoardWindow, string | null> = {
  day: "You have no points today yet: today's board starts from zero every day at 00:00 UTC.",
  week: "You have no points this week yet: this week's board starts from zero every Monday at 00:00 UTC.",
  all: null,
};

/**
 * The signed-in player's score and rank in the chosen window (Today, This week, All time). Live
 * from the board snapshot while they are on it; otherwise re-read, at most every few seconds,
 * when the board changes, and at once when a day or week starts over.
 */
export function MyStanding({ limit }: { limit: number }) {
  const utils = api.useUtils();
  const { selected } = useBoardWindow();
  // As the board does: the card on screen stays until the chosen window's standing has loaded.
  const shown = useDeferredValue(selected);
  // Asked before the board, so that a tab's two reads go out together.
  const [me] = api.leaderboard.me.useSuspenseQuery({ window: shown }, { staleTime: REFRESH_AT_MOST_EVERY_MS, refetchOnWindowFocus: false });
  const [board] = api.leaderboard.top.useSuspenseQuery({ limit, window: shown }, LIVE_BOARD_QUERY);
  const onBoard = board.entries.find((entry) => entry.userId === me.userId);
  const lastRefresh = useRef(0);
  const eventId = boardEventId(board);

  // A new day or week: the standing read for the last one is not this one's. Until it is read
  // again, the new period's (nobody has points in a period that just began).
  const period = useRef({ window: shown, name: board.period });
  useEffect(() => {
    const before = period.current;
    period.current = { window: shown, name: board.period };
    if (before.window !== shown || before.name === board.period) return;
    utils.leaderboard.me.setData({ window: shown }, (old) => old && { ...old, score: 0, rank: null });
    lastRefresh.current = Date.now();
    void utils.leaderboard.me.invalidate({ window: shown });
  }, [shown, board.period, utils]);

  useEffect(() => {
    if (onBoard || me.hidden) return;
    const wait = Math.max(0, lastRefresh.current + REFRESH_AT_MOST_EVERY_MS - Date.now());
    const timer = setTimeout(() => {
      lastRefresh.current = Date.now();
      void utils.leaderboard.me.invalidate({ window: shown });
    }, wait);
    return () => clearTimeout(timer);
  }, [eventId, shown, onBoard, me.hidden, utils]);

  const score = onBoard?.score ?? me.score;
  const rank = onBoard?.rank ?? me.rank;
  const notScoredYet = !onBoard && !me.hidden && me.rank === null && me.score === 0 ? NOT_SCORED_YET[shown] : null;

  return (
    <section className="card standing" aria-labelledby="standing-title" aria-busy={shown !== selected ? true : undefined}>
      <div className="card-title">
        <h2 id="standing-title">You</h2>
        <p className="standing-window" data-testid="my-window">
          {WINDOW_LABELS[shown]}
        </p>
      </div>
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
      {notScoredYet ? <p className="muted">{notScoredYet}</p> : null}
    </section>
  );
}
