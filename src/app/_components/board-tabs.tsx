"use client";

import { useRef, type KeyboardEvent } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import { TAB_ORDER, WINDOW_LABELS } from "./board-window-names";

export const tabId = (boardWindow: BoardWindow) => `board-tab-${boardWindow}`;
export const panelId = (boardWindow: BoardWindow) => `board-panel-${boardWindow}`;

/**
 * The board's windows as tabs (the WAI-ARIA tabs pattern): one tab stop, the selected tab;
 * Left/Right arrows move to the previous/next tab (wrapping), Home/End to the first/last, and
 * moving selects (each tab's board comes from one request, so following focus is cheap).
 */
export function BoardTabs({ selected, onSelect }: { selected: BoardWindow; onSelect(boardWindow: BoardWindow): void }) {
  const tabs = useRef(new Map<BoardWindow, HTMLButtonElement>());

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const at = TAB_ORDER.indexOf(selected);
    const last = TAB_ORDER.length - 1;
    const moves: Record<string, number> = { ArrowRight: at === last ? 0 : at + 1, ArrowLeft: at === 0 ? last : at - 1, Home: 0, End: last };
    const target = Object.hasOwn(moves, event.key) ? TAB_ORDER[moves[event.key]!] : undefined;
    if (!target) return;
    event.preventDefault();
    onSelect(target);
    tabs.current.get(target)?.focus();
  }

  return (
    <div role="tablist" aria-label="Board period" className="tabs" onKeyDown={onKeyDown}>
      {TAB_ORDER.map((boardWindow) => {
        const isSelected = boardWindow === selected;
        return (
          <button
            key={boardWindow}
            ref={(element) => {
              if (element) tabs.current.set(boardWindow, element);
              else tabs.current.delete(boardWindow);
            }}
            type="button"
            role="tab"
            id={tabId(boardWindow)}
            aria-selected={isSelected}
            aria-controls={panelId(boardWindow)}
            tabIndex={isSelected ? 0 : -1}
            className="tab"
            onClick={() => onSelect(boardWindow)}
          >
            {WINDOW_LABELS[boardWindow]}
          </button>
        );
      })}
    </div>
  );
}
