"use client";

import { useLayoutEffect, useRef, type RefObject } from "react";

/**
 * Animates rows of `container` (children with `data-flip-key`) from where they were to where
 * they are now, whenever `order` changes: rows slide instead of jumping when ranks change.
 */
export function useFlip(container: RefObject<HTMLElement | null>, order: string) {
  const positions = useRef(new Map<string, number>());

  useLayoutEffect(() => {
    const element = container.current;
    if (!element) return;
    const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const rows = [...element.querySelectorAll<HTMLElement>("[data-flip-key]")];
    const next = new Map<string, number>();
    for (const row of rows) {
      const key = row.dataset.flipKey!;
      const top = row.getBoundingClientRect().top;
      next.set(key, top);
      const before = positions.current.get(key);
      if (before === undefined || before === top || reduceMotion) continue;
      row.animate([{ transform: `translateY(${before - top}px)` }, { transform: "translateY(0)" }], {
        duration: 400,
        easing: "cubic-bezier(0.2, 0, 0, 1)",
      });
    }
    positions.current = next;
  }, [container, order]);
}
