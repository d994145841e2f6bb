import { getServerAuthSession } from "~/server/auth";
import { api, HydrateClient } from "~/trpc/server";
import { AccountPanel } from "./_components/account-panel";
import { Scoreboard } from "./_components/scoreboard";

// The board changes with every score; it is never prerendered.
export const dynamic = "force-dynamic";

const BOARD_SIZE = 10;

export default async function HomePage() {
  const session = await getServerAuthSession();
  void api.leaderboard.top.prefetch({ limit: BOARD_SIZE });

  return (
    <HydrateClient>
      <main className="page">
        <header className="page-header">
          <h1>Live Scoreboard</h1>
          <AccountPanel user={session ? { name: session.user.name, username: session.user.username } : null} />
        </header>
        <Scoreboard limit={BOARD_SIZE} currentUserId={session?.user.id ?? null} />
      </main>
    </HydrateClient>
  );
}
