"use client";

import "./globals.css";

/**
 * The root layout itself failed: this replaces it, so it brings its own html, body and styles.
 * "Try again" is `retry` (a router refresh and a reset), as in ./error.tsx: `reset` alone would
 * render the same failed payload again.
 */
export default function GlobalError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  return (
    <html lang="en">
      <body>
        <main className="page">
          <header className="page-header">
            <h1>Live Scoreboard</h1>
          </header>
          <section className="card" role="alert" aria-labelledby="global-error-title">
            <h2 id="global-error-title">Something went wrong</h2>
            <p className="muted">The page could not be shown. Try again in a moment.</p>
            {error.digest ? <p className="muted">Reference: <span className="mono">{error.digest}</span></p> : null}
            <div className="actions">
              <button type="button" onClick={retry}>
                Try again
              </button>
            </div>
          </section>
        </main>
      </body>
    </html>
  );
}
