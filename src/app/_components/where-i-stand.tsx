"use client";

import { useDeferredValue } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import { api } from "~/trpc/react";
import { myPlace } from "./board-changes";
import { LIVE_BOARD_QUERY, STANDING_QUERY } from "./board-queries";
import { useChosenAt } from "./board-steps";
import { useBoardWindow } from "./board-window";
import { WINDOW_LABELS } from "./board-window-names";
import { useFormat } from "./reader-locale";
import { useStandingSync } from "./use-standing-sync";

const NO_SCORE: Record<BoardWindow, string> = {
  day: "You have no points today yet, so you are not on today's board. Score to join it.",
  week: "You have no points this week yet, so you are not on this week's board. Score to join it.",
  all: "You are not on the board yet.",
};

/**
 * Where the signed-in player stands when the top of the board does not show them: the players
 * just above and below (`leaderboard.around`), what it takes to pass the next one, and their
 * rank among everyone on the board (`leaderboard.me`: "#153 of 2,104 · top 8 %"). Hidden, or no
 * points in the period: it says so. While they are in the top, the board says it all and this
 * shows nothing; it still keeps their standing fresh and tells them what happens to them
 * (./use-standing-sync.ts). `frameReach`: the most points a player plausibly gains between two
 * frames (./board-changes.ts frameReach), from the server's action rules.
 */
export function WhereIStand({ limit, frameReach }: { limit: number; frameReach: number }) {
  const { selected } = useBoardWindow();
  // As the board does: what is on screen stays until the chosen window's reads have loaded.
  const shown = useDeferredValue(selected);
  const [me] = api.leaderboard.me.useSuspenseQuery({ window: shown }, STANDING_QUERY);
  const [board, boardQuery] = api.leaderboard.top.useSuspenseQuery({ limit, window: shown }, LIVE_BOARD_QUERY);
  const chosenAt = useChosenAt(selected);
  const onBoard = myPlace(board, me.userId) !== null;
  const ranked = !me.hidden && me.rank !== null;
  const around = api.leaderboard.around.useQuery({ window: shown }, { ...STANDING_QUERY, enabled: ranked && !onBoard });
  useStandingSync({
    limit,
    board,
    freshness: { updatedAt: boardQuery.dataUpdatedAt, chosenAt },
    me,
    around: { data: around.data, dataUpdatedAt: around.dataUpdatedAt },
    frameReach,
  });
  const format = useFormat().number;

  if (onBoard) return null;

  const entries = ranked ? (around.data?.entries ?? []) : [];
  const mine = entries.find((entry) => entry.userId === me.userId);
  const next = mine ? entries.find((entry) => entry.rank === mine.rank - 1) : undefined;
  // Ties go to whoever reached the score first: passing takes one point more.
  const gap = mine && next ? next.score - mine.score + 1 : null;

  return (
    <section className="card where-i-stand" aria-labelledby="where-title" aria-busy={shown !== selected ? true : undefined} data-testid="where-i-stand">
      <div className="card-title">
        <h2 id="where-title">Where you stand</h2>
        <p className="standing-window">{WINDOW_LABELS[shown]}</p>
      </div>
      {me.hidden ? (
        <p className="muted" data-testid="standing-summary">
          You are hidden from the public board, so you have no rank on it.
        </p>
      ) : me.rank === null ? (
        <p className="muted" data-testid="standing-summary">
          {NO_SCORE[shown]}
        </p>
      ) : (
        <>
          <p className="standing-summary" data-testid="standing-summary">
            #{format(me.rank)} of {format(me.total)}
            {me.percentile !== null ? ` · top ${format(me.percentile)} %` : ""}
          </p>
          {next && gap !== null ? (
            <p className="standing-gap" data-testid="standing-gap">
              {format(gap)} {gap === 1 ? "point" : "points"} to pass {next.displayName}, #{format(next.rank)}
            </p>
          ) : null}
          {entries.length > 0 ? (
            <ol className="around-list" aria-label="Players around you" data-testid="around">
              {entries.map((entry) => (
                <li key={entry.userId} data-user-id={entry.userId} aria-current={entry.userId === me.userId ? "true" : undefined}>
                  <span className="around-rank">#{format(entry.rank)}</span>
                  <span className="around-name">
                    {entry.displayName}
                    {entry.userId === me.userId ? <span className="muted"> (you)</span> : null}
                  </span>
                  <span className="around-score">{format(entry.score)}</span>
                </li>
              ))}
            </ol>
          ) : null}
        </>
      )}
    </section>
  );
}
