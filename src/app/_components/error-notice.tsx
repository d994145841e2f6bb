/**
 * The app's "Something went wrong" page, for ../error.tsx (a page failed) and ../global-error.tsx
 * (the root layout failed): nothing of the error but its digest, which names it in the server's
 * log, and "Try again"; `children` adds a way out beside it.
 */
export function ErrorNotice({
  headingId,
  message,
  digest,
  retry,
  children,
}: {
  headingId: string;
  message: string;
  digest: string | undefined;
  retry: () => void;
  children?: React.ReactNode;
}) {
  return (
    <main className="page">
      <header className="page-header">
        <h1>Live Scoreboard</h1>
      </header>
      <section className="card" role="alert" aria-labelledby={headingId}>
        <h2 id={headingId}>Something went wrong</h2>
        <p className="muted">{message}</p>
        {digest ? <p className="muted">Reference: <span className="mono">{digest}</span></p> : null}
        <div className="actions">
          <button type="button" onClick={retry}>
            Try again
          </button>
          {children}
        </div>
      </section>
    </main>
  );
}
