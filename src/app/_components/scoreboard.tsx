"use client";

import { api } from "~/trpc/react";

export function Scoreboard({ limit, currentUserId }: { limit: number; currentUserId: string | null }) {
  const [board] = api.leaderboard.top.useSuspenseQuery({ limit });

  return (
    <section className="card" aria-labelledby="board-title">
      <h2 id="board-title">Top {limit}</h2>
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
          <tbody>
            {board.entries.map((entry) => (
              <tr key={entry.userId} aria-current={entry.userId === currentUserId ? "true" : undefined}>
                <td>{entry.rank}</td>
                <td>{entry.displayName}</td>
                <td className="numeric">{entry.score.toLocaleString("en")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
