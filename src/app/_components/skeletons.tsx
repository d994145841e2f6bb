/**
 * Placeholders in the shape of what is loading. The page's shell (header, board, play panel) is
 * sent at once; the reader's own cards (You, Profile), each behind a Suspense boundary in
 * page.tsx, stream in as their reads finish, this in their place until then: one slow read no
 * longer holds up the whole page. Plain markup: the server renders it, no script needed.
 */

/** Widths that look like text, the same on every render (nothing random, no layout shift). */
const LINE_WIDTHS = [22, 16, 19, 24, 14];

/** A card (You, Profile): its title, then `lines` grey bars where its content will be. */
export function CardSkeleton({ title, lines = 2, name }: { title: string; lines?: number; name: string }) {
  const id = `${name}-skeleton-title`;
  return (
    <section className="card skeleton" aria-labelledby={id} aria-busy="true" data-skeleton={name}>
      <h2 id={id}>{title}</h2>
      <p className="visually-hidden">Loading…</p>
      <div aria-hidden="true" className="skeleton-lines">
        {Array.from({ length: lines }, (_, index) => (
          <span key={index} className="skeleton-bar" style={{ width: `${LINE_WIDTHS[index % LINE_WIDTHS.length]}ch` }} />
        ))}
      </div>
    </section>
  );
}
