/**
 * The framework's floor for a read: a route handler that does nothing, configured as the app's
 * tRPC route is (src/app/api/trpc/[trpc]/route.ts). `leaderboard.top` is compared with it.
 */
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ ok: true });
}
