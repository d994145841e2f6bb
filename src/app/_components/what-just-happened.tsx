"use client";

import { useState } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import { announce } from "./announcer";
import { frameChanges, type BoardChange, type Frame } from "./board-changes";
import { useBoardSteps, type BoardFreshness } from "./board-steps";
import { useFormat } from "./reader-locale";

/** How many changes the list keeps, newest first. */
const RECENT_CHANGES = 5;

/** Where a rank holds, in the announcer's sentences: "… takes the lead today". */
export const RANK_SCOPE: Record<BoardWindow, string> = { day: " today", week: " this week", all: "" };

type Listed = { id: number; change: BoardChange };

let nextId = 1;

/**
 * The board's recent changes ("zoe +25 → #1"), read from consecutive frames in the browser, and
 * the announcement of a new leader. Changes of the board on screen only: choosing another tab,
 * or a day or week starting over, clears the list and says nothing.
 */
export function WhatJustHappened({ board, freshness, limit, currentUserId }: { board: Frame; freshness: BoardFreshness; limit: number; currentUserId: string | null }) {
  const [listed, setListed] = useState<Listed[]>([]);
  const format = useFormat().number;

  useBoardSteps(board, freshness, (step) => {
    if (step.kind === "switched" || step.kind === "rollover") {
      setListed([]);
      return;
    }
    if (step.kind !== "change") return;
    const changes = frameChanges(step.before, step.after);
    if (changes.length > 0) {
      setListed((old) => [...changes.map((change) => ({ id: nextId++, change })), ...old].slice(0, RECENT_CHANGES));
    }
    const leader = step.after.entries[0];
    // The player's own moves are told by the "where I stand" part of the page.
    if (leader && leader.userId !== step.before.entries[0]?.userId && leader.userId !== currentUserId) {
      announce(`${leader.displayName} takes the lead${RANK_SCOPE[step.after.window]} with ${format(leader.score)} points.`);
    }
  });

  if (listed.length === 0) return null;
  return (
    <section className="recent-changes" aria-labelledby="recent-changes-title">
      <h3 id="recent-changes-title">Recent changes</h3>
      <ol data-testid="recent-changes">
        {listed.map(({ id, change }) => (
          <li key={id} data-user-id={change.userId} data-mine={change.userId === currentUserId ? "true" : undefined}>
            {describeChange(change, limit, format)}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** "zoe +25 → #1", "zoe −40 → #7", "zoe → #9, new in the top 10", "zoe left the top 10". */
export function describeChange(change: BoardChange, limit: number, format: (value: number) => string): string {
  switch (change.kind) {
    case "score":
      return `${change.displayName} ${change.delta > 0 ? "+" : "−"}${format(Math.abs(change.delta))} → #${format(change.rank)}`;
    case "entered":
      return `${change.displayName} → #${format(change.rank)}, new in the top ${format(limit)}`;
    case "left":
      return `${change.displayName} left the top ${format(limit)}`;
  }
}
