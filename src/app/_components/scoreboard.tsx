"use client";

import { useCallback, useDeferredValue, useEffect, useRef, useState } from "react";

import { boardEventId, type BoardWindow } from "~/lib/board-windows";
import { api, type RouterOutputs } from "~/trpc/react";
import { Announcements } from "./announcer";
import { createBoardFeed, type BoardFeed, type FeedState } from "./board-feed";
import { readBoard } from "./board-poll";
import { LIVE_BOARD_QUERY } from "./board-queries";
import { useChosenAt } from "./board-steps";
import { BoardTabs, panelId, tabId } from "./board-tabs";
import { useBoardWindow } from "./board-window";
import { TAB_ORDER } from "./board-window-names";
import { ConnectionIndicator } from "./connection-indicator";
import { useFormat } from "./reader-locale";
import { ResetCountdown } from "./reset-countdown";
import { serverClock } from "./server-clock";
import { useFlip } from "./use-flip";
import { WhatJustHappened } from "./what-just-happened";

export type Board = RouterOutputs["leaderboard"]["top"];

const EMPTY_BOARD: Record<BoardWindow, string> = {
  day: "No scores today yet. The first points of the day put you on top.",
  week: "No scores this week yet. The first points of the week put you on top.",
  all: "No players yet. Sign up and be the first on the board.",
};

const COUNTDOWN_NAMES: Record<BoardWindow, string> = { day: "Today's board", week: "This week's board", all: "" };

/**
 * The top of the board in the chosen window (Today, This week, All time): server-rendered, then
 * kept fresh by that window's feed (its `leaderboard.live` stream, or polling while the stream is
 * down), which writes each board into the same React Query cache entry the table reads. One
 * stream at a time: choosing another tab switches it. Below the table, what just changed.
 */
export function Scoreboard({ limit, currentUserId, pageRenderedAt }: { limit: number; currentUserId: string | null; pageRenderedAt: number }) {
  const { selected, select } = useBoardWindow();
  // The board on screen stays (marked busy) until the chosen window's board has loaded.
  const shown = useDeferredValue(selected);
  const [board, boardQuery] = api.leaderboard.top.useSuspenseQuery({ limit, window: shown }, LIVE_BOARD_QUERY);
  const chosenAt = useChosenAt(selected);
  const feed = useBoardFeed(limit, shown);

  return (
    <section className="card board-card" aria-labelledby="board-title">
      <div className="card-title">
        <h2 id="board-title">Top {limit}</h2>
        <ConnectionIndicator state={feed.state} onRetry={feed.retry} />
      </div>
      <Announcements />
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
      <WhatJustHappened board={board} freshness={{ updatedAt: boardQuery.dataUpdatedAt, chosenAt }} limit={limit} currentUserId={currentUserId} />
    </section>
  );
}

/** A board read that has not answered by then has failed (a connection that hangs). */
const READ_TIMEOUT_MS = 8_000;

/**
 * Keeps `shown`'s board fresh (./board-feed.ts): its live stream, resumed from the board in the
 * cache (the server skips that board if nothing changed since), or conditional reads of it while
 * the stream is down; both write into the cache entry the table reads. Returns the feed's state
 * and a way to retry at once.
 */
function useBoardFeed(limit: number, shown: BoardWindow): { state: FeedState; retry: () => void } {
  const utils = api.useUtils();
  const [state, setState] = useState<FeedState>("connecting");
  const feed = useRef<BoardFeed | null>(null);

  useEffect(() => {
    const input = { limit, window: shown };
    const stopped = new AbortController();
    let etag: string | null = null;
    const current: BoardFeed = createBoardFeed({
      openStream(handlers) {
        const board = utils.leaderboard.top.getData(input);
        const subscription = utils.client.leaderboard.live.subscribe(
          { ...input, lastEventId: board ? boardEventId(board) : null },
          {
            onStarted: () => handlers.started(),
            onData: ({ data }) => {
              serverClock.observe(data.generatedAt);
              utils.leaderboard.top.setData({ limit, window: data.window }, data);
            },
            // The link's own retry after an error, or its inactivity timeout: the feed retries instead, with backoff.
            onConnectionStateChange: (connection) => {
              if (connection.state === "connecting" && connection.error) handlers.failed();
            },
            onError: () => handlers.failed(),
            onComplete: () => handlers.failed(),
          },
        );
        return () => subscription.unsubscribe();
      },
      async poll() {
        const read = await readBoard(input, etag, AbortSignal.any([stopped.signal, AbortSignal.timeout(READ_TIMEOUT_MS)]));
        // A read that arrives after the stream came back is older than what the stream delivers.
        if (!read.changed || current.streaming || stopped.signal.aborted) return;
        etag = read.etag;
        serverClock.observe(read.board.generatedAt);
        utils.leaderboard.top.setData(input, read.board);
      },
      onState: setState,
    });
    feed.current = current;

    const online = () => current.setOnline(true);
    const offline = () => current.setOnline(false);
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    current.setOnline(navigator.onLine);
    current.start();
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      stopped.abort();
      current.stop();
      if (feed.current === current) feed.current = null;
    };
  }, [limit, shown, utils]);

  const retry = useCallback(() => feed.current?.retry(), []);
  return { state, retry };
}

/** One window's board: the countdown to its reset (day, week), then its rows. */
function BoardTable({ board, currentUserId, pageRenderedAt }: { board: Board; currentUserId: string | null; pageRenderedAt: number }) {
  const table = useRef<HTMLTableSectionElement>(null);
  const format = useFormat().number;
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
                <td>{format(entry.rank)}</td>
                <td className="player">{entry.displayName}</td>
                <td className="numeric">{format(entry.score)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
