import Link from "next/link";

/** Any address the app does not serve: said plainly, with the way back to the board. */
export default function NotFound() {
  return (
    <main className="page">
      <header className="page-header">
        <h1>Live Scoreboard</h1>
      </header>
      <section className="card" aria-labelledby="not-found-title">
        <h2 id="not-found-title">Page not found</h2>
        <p className="muted">This page could not be found.</p>
        <Link href="/">Back to the board</Link>
      </section>
    </main>
  );
}
