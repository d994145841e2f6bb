import SuperJSON from "superjson";

import type { BoardWindow } from "~/lib/board-windows";
import type { RouterOutputs } from "~/trpc/react";

type Board = RouterOutputs["leaderboard"]["top"];

export type BoardRead = { changed: false } | { changed: true; board: Board; etag: string | null };

/**
 * One conditional read of a window's current board: `leaderboard.top` as a plain GET in tRPC's
 * wire format (superjson input in the query, `{ result: { data } }` back), carrying the ETag of
 * the last answer so that an unchanged board costs the server a 304 and no body. tRPC's own
 * client cannot send If-None-Match, hence this small fetch; the answer is decoded as tRPC's
 * httpLink decodes it. Rejects on anything but 200 and 304.
 */
export async function readBoard(input: { limit: number; window: BoardWindow }, etag: string | null, signal?: AbortSignal): Promise<BoardRead> {
  const query = encodeURIComponent(JSON.stringify(SuperJSON.serialize(input)));
  const headers: Record<string, string> = { "x-trpc-source": "nextjs-react" };
  if (etag) headers["if-none-match"] = etag;
  // no-store: the answer itself, never the browser's cached copy (a 304 comes back as such).
  const response = await fetch(`/api/trpc/leaderboard.top?input=${query}`, { headers, cache: "no-store", signal });
  if (response.status === 304) return { changed: false };
  if (!response.ok) throw new Error(`leaderboard.top: HTTP ${response.status}`);
  const body = (await response.json()) as { result?: { data?: Parameters<typeof SuperJSON.deserialize>[0] } };
  if (!body.result?.data) throw new Error("leaderboard.top: no result in the answer");
  return { changed: true, board: SuperJSON.deserialize<Board>(body.result.data), etag: response.headers.get("etag") };
}
