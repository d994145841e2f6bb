"use client";

import { useLayoutEffect, useRef, type RefObject } from "react";

/**
 * Animates rows of `container` (children with `data-flip-key`) from where they were to where
 * they are now, whenever `order` changes: rows slide instead of jumping when ranks change.
 * Rows of another board (a new `scope`: another window, or the next day) are not moved there
 * from the old board's places: the new board simply appears.
 */
export function useFlip(container: RefObject<HTMLElement | null>, order: string, scope = "") {
  const positions = useRef(new Map<string, number>());
  const positionsScope = useRef(scope);

  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const sameBoard = positionsScope.current === scope;
    const rows = [...element.querySelectorAll<HTMLElement>("[data-flip-key]")];
    const next = new Map<string, number>();
    for (const row of rows) {
      const key = row.dataset.flipKey!;
      const top = row.getBoundingClientRect().top;
      next.set(key, top);
      const before = positions.current.get(key);
      if (!sameBoard || before === undefined || before === top || reduceMotion) continue;
      row.animate([{ transform: `translateY(${before - top}px)` }, { transform: "translateY(0)" }], {
        duration: 400,
        easing: "cubic-bezier(0.2, 0, 0, 1)",
      });
    }
    positions.current = next;
    positionsScope.current = scope;
  }, [container, order, scope]);
}
