"use client";

import { useDeferredValue } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import { api } from "~/trpc/react";
import { LIVE_BOARD_QUERY, STANDING_QUERY } from "./board-queries";
import { useBoardWindow } from "./board-window";
import { WINDOW_LABELS } from "./board-window-names";
import { useFormat } from "./reader-locale";

const NOT_SCORED_YET: Record<BoardWindow, string | null> = {
  day: "You have no points today yet: today's board starts from zero every day at 00:00 UTC.",
  week: "You have no points this week yet: this week's board starts from zero every Monday at 00:00 UTC.",
  all: null,
};

/**
 * The signed-in player's score and rank in the chosen window (Today, This week, All time). Live
 * from the board while they are on it; otherwise from `leaderboard.me`, which the page reads
 * again when something could have moved them (./use-standing-sync.ts), not on every change.
 */
export function MyStanding({ limit }: { limit: number }) {
  const { selected } = useBoardWindow();
  // As the board does: the card on screen stays until the chosen window's standing has loaded.
  const shown = useDeferredValue(selected);
  // Asked before the board, so that a tab's two reads go out together.
  const [me] = api.leaderboard.me.useSuspenseQuery({ window: shown }, STANDING_QUERY);
  const [board] = api.leaderboard.top.useSuspenseQuery({ limit, window: shown }, LIVE_BOARD_QUERY);
  const onBoard = board.entries.find((entry) => entry.userId === me.userId);
  const format = useFormat().number;

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
          <dd data-testid="my-score">{format(score)}</dd>
        </div>
        <div>
          <dt>Rank</dt>
          <dd data-testid="my-rank">{rank === null ? "—" : `#${format(rank)}`}</dd>
        </div>
      </dl>
      {me.hidden ? <p className="muted">You are hidden from the public board, so you have no public rank.</p> : null}
      {notScoredYet ? <p className="muted">{notScoredYet}</p> : null}
    </section>
  );
}
