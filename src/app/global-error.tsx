"use client";

import { ErrorNotice } from "./_components/error-notice";
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
        <ErrorNotice headingId="global-error-title" message="The page could not be shown. Try again in a moment." digest={error.digest} retry={retry} />
      </body>
    </html>
  );
}
