"use client";

import { useDeferredValue, useEffect, useRef, useState } from "react";

import { boardEventId, type BoardWindow } from "~/lib/board-windows";
import { api, type RouterOutputs } from "~/trpc/react";
import { BoardTabs, panelId, tabId } from "./board-tabs";
import { useBoardWindow } from "./board-window";
import { TAB_ORDER } from "./board-window-names";
import { ConnectionIndicator, useConnectionState, type ConnectionState } from "./connection-indicator";
import { ResetCountdown } from "./reset-countdown";
import { serverClock } from "./server-clock";
import { useFlip } from "./use-flip";

export type Board = RouterOutputs["leaderboard"]["top"];

/** A board read kept fresh by the live stream: never polled, never refetched on focus or reconnect. */
export const LIVE_BOARD_QUERY = { staleTime: Infinity, refetchOnWindowFocus: false, refetchOnReconnect: false } as const;

const EMPTY_BOARD: Record<BoardWindow, string> = {
  day: "No scores today yet. The first points of the day put you on top.",
  week: "No scores this week yet. The first points of the week put you on top.",
  all: "No players yet. Sign up and be the first on the board.",
};

const COUNTDOWN_NAMES: Record<BoardWindow, string> = { day: "Today's board", week: "This week's board", all: "" };

/** Where a rank holds, in the announcer's sentences: "You are now number 2 today". */
const RANK_SCOPE: Record<BoardWindow, string> = { day: " today", week: " this week", all: "" };

/**
 * The top of the board in the chosen window (Today, This week, All time): server-rendered, then
 * kept live by that window's `leaderboard.live` stream, which writes each snapshot into the same
 * React Query cache entry the table reads. One stream at a time: choosing another tab switches it.
 */
export function Scoreboard({ limit, currentUserId, pageRenderedAt }: { limit: number; currentUserId: string | null; pageRenderedAt: number }) {
  const { selected, select } = useBoardWindow();
  // The board on screen stays (marked busy) until the chosen window's board has loaded.
  const shown = useDeferredValue(selected);
  const [board] = api.leaderboard.top.useSuspenseQuery({ limit, window: shown }, LIVE_BOARD_QUERY);
  const connection = useLiveBoard(limit, shown, board);

  return (
    <section className="card board-card" aria-labelledby="board-title">
      <div className="card-title">
        <h2 id="board-title">Top {limit}</h2>
        <ConnectionIndicator state={connection} />
      </div>
      <RankAnnouncer board={board} currentUserId={currentUserId} />
      <BoardTabs selected={selected} onSelect={select} />
      {TAB_ORDER.map((boardWindow) => (
        <div
          key={boardWindow}
          role="tabpanel"
          id={panelId(boardWindow)}
          aria-labelledby={tabId(boardWindow)}
          aria-busy={boardWindow === selected && shown !== selected ? true : undefined}
          hidden={boardWindow !== selected}
          // The panel holds nothing focusable: it takes the tab stop after the tabs itself.
          tabIndex={0}
          className="board-panel"
        >
          {boardWindow === selected ? <BoardTable board={board} currentUserId={currentUserId} pageRenderedAt={pageRenderedAt} /> : null}
        </div>
      ))}
    </section>
  );
}

/**
 * Follows `shown`'s board live, starting from the board on screen (the server skips it if nothing
 * changed since); returns the connection state. The starting event id is set once per window: on
 * reconnect the link resumes from the last event it received.
 */
function useLiveBoard(limit: number, shown: BoardWindow, board: Board): ConnectionState {
  const utils = api.useUtils();
  const [from, setFrom] = useState(() => ({ window: shown, lastEventId: boardEventId(board) }));
  if (from.window !== shown) setFrom({ window: shown, lastEventId: boardEventId(board) });
  const live = api.leaderboard.live.useSubscription(
    { limit, window: from.window, lastEventId: from.lastEventId },
    {
      onData: ({ data }) => {
        serverClock.observe(data.generatedAt);
        utils.leaderboard.top.setData({ limit, window: data.window }, data);
      },
    },
  );
  return useConnectionState(live.status, from.window);
}

/** One window's board: the countdown to its reset (day, week), then its rows. */
function BoardTable({ board, currentUserId, pageRenderedAt }: { board: Board; currentUserId: string | null; pageRenderedAt: number }) {
  const table = useRef<HTMLTableSectionElement>(null);
  useFlip(table, board.entries.map((entry) => entry.userId).join(","), `${board.window}:${board.period ?? ""}`);

  return (
    <>
      {board.resetsAt ? (
        <ResetCountdown name={COUNTDOWN_NAMES[board.window]} resetsAt={board.resetsAt} generatedAt={board.generatedAt} pageRenderedAt={pageRenderedAt} />
      ) : null}
      {board.entries.length === 0 ? (
        <p className="muted">{EMPTY_BOARD[board.window]}</p>
      ) : (
        <table className="board">
          <thead>
            <tr>
              <th scope="col">Rank</th>
              <th scope="col">Player</th>
              <th scope="col" className="numeric">
                Score
              </th>
            </tr>
          </thead>
          <tbody ref={table}>
            {board.entries.map((entry) => (
              <tr key={entry.userId} data-flip-key={entry.userId} aria-current={entry.userId === currentUserId ? "true" : undefined}>
                <td>{entry.rank}</td>
                <td className="player">{entry.displayName}</td>
                <td className="numeric">{entry.score.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/**
 * Tells screen-reader users about changes they would otherwise have to re-read the table for.
 * Only changes of one board: choosing another tab, or a day or week starting over, says nothing.
 */
function RankAnnouncer({ board, currentUserId }: { board: Board; currentUserId: string | null }) {
  const previous = useRef<Board | null>(null);
  const [message, setMessage] = useState("");

  useEffect(() => {
    const before = previous.current;
    previous.current = board;
    if (!before || before.window !== board.window || before.period !== board.period) return;
    const leader = board.entries[0];
    const mine = board.entries.find((entry) => entry.userId === currentUserId);
    const mineBefore = before.entries.find((entry) => entry.userId === currentUserId);
    if (mine && mine.rank !== mineBefore?.rank) {
      setMessage(`You are now number ${mine.rank}${RANK_SCOPE[board.window]} with ${mine.score} points.`);
    } else if (leader && leader.userId !== before.entries[0]?.userId) {
      setMessage(`${leader.displayName} takes the lead${RANK_SCOPE[board.window]} with ${leader.score} points.`);
    }
  }, [board, currentUserId]);

  return (
    <p aria-live="polite" className="visually-hidden" data-testid="rank-announcer">
      {message}
    </p>
  );
}
