"use client";

import Link from "next/link";

import { ErrorNotice } from "./_components/error-notice";

/**
 * A page that failed to render (the database down, say): the layout stays, this replaces the
 * page, and "Try again" renders it afresh. That is `retry` (Next.js 16.3+: a router refresh and a
 * reset in one transition), not `reset`: a server component's failure is in the page's payload,
 * and `reset` alone would render that same payload, and the same error, again. Nothing of the
 * error reaches the reader but its digest, which names it in the server's log. Any page can end
 * here, so the words name none in particular.
 */
export default function PageError({ error, retry }: { error: Error & { digest?: string }; retry: () => void }) {
  return (
    <ErrorNotice headingId="page-error-title" message="This page could not be loaded just now. It usually comes back in a moment." digest={error.digest} retry={retry}>
      <Link href="/">Back to the board</Link>
    </ErrorNotice>
  );
}
