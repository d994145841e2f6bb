"use client";

import { useEffect, useRef, useState } from "react";

import { api, type RouterOutputs } from "~/trpc/react";
import { ConnectionIndicator, useConnectionState } from "./connection-indicator";
import { useFlip } from "./use-flip";

type Board = RouterOutputs["leaderboard"]["top"];

/**
 * The top of the board: server-rendered, then kept live by the `leaderboard.live` stream,
 * which writes each snapshot into the same React Query cache entry the table reads.
 */
export function Scoreboard({ limit, currentUserId }: { limit: number; currentUserId: string | null }) {
  const utils = api.useUtils();
  const [board] = api.leaderboard.top.useSuspenseQuery(
    { limit },
    // The stream keeps this fresh; never poll or refetch it on focus.
    { staleTime: Infinity, refetchOnWindowFocus: false, refetchOnReconnect: false },
  );
  // Resume from the board we rendered: the server skips it if nothing changed since.
  const [firstEventId] = useState(() => String(board.version));
  const live = api.leaderboard.live.useSubscription(
    { limit, lastEventId: firstEventId },
    { onData: ({ data }) => utils.leaderboard.top.setData({ limit }, data) },
  );

  const connection = useConnectionState(live.status);
  const table = useRef<HTMLTableSectionElement>(null);
  useFlip(table, board.entries.map((entry) => entry.userId).join(","));

  return (
    <section className="card board-card" aria-labelledby="board-title">
      <div className="card-title">
        <h2 id="board-title">Top {limit}</h2>
        <ConnectionIndicator state={connection} />
      </div>
      <RankAnnouncer board={board} currentUserId={currentUserId} />
      {board.entries.length === 0 ? (
        <p className="muted">No players yet. Sign up and be the first on the board.</p>
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
              <tr
                key={entry.userId}
                data-flip-key={entry.userId}
                aria-current={entry.userId === currentUserId ? "true" : undefined}
              >
                <td>{entry.rank}</td>
                <td className="player">{entry.displayName}</td>
                <td className="numeric">{entry.score.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Tells screen-reader users about changes they would otherwise have to re-read the table for. */
function RankAnnouncer({ board, currentUserId }: { board: Board; currentUserId: string | null }) {
  const previous = useRef<Board | null>(null);
  const [message, setMessage] = useState("");

  useEffect(() => {
    const before = previous.current;
    previous.current = board;
    if (!before) return;
    const leader = board.entries[0];
    const mine = board.entries.find((entry) => entry.userId === currentUserId);
    const mineBefore = before.entries.find((entry) => entry.userId === currentUserId);
    if (mine && mine.rank !== mineBefore?.rank) {
      setMessage(`You are now number ${mine.rank} with ${mine.score} points.`);
    } else if (leader && leader.userId !== before.entries[0]?.userId) {
      setMessage(`${leader.displayName} takes the lead with ${leader.score} points.`);
    }
  }, [board, currentUserId]);

  return (
    <p aria-live="polite" className="visually-hidden" data-testid="rank-announcer">
      {message}
    </p>
  );
}
