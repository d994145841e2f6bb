import { Suspense } from "react";

import { env } from "~/env.js";
import { getServerAuthSession } from "~/server/auth";
import { ACTION_RULES } from "~/server/scoring/rules";
import { api, HydrateClient } from "~/trpc/server";
import { AccountPanel } from "./_components/account-panel";
import { frameReach } from "./_components/board-changes";
import { BoardWindowProvider } from "./_components/board-window";
import { parseBoardWindow, WINDOW_PARAM } from "./_components/board-window-names";
import { MyStanding } from "./_components/my-standing";
import { PlayPanel, type ActionChoice } from "./_components/play-panel";
import { ProfileForm } from "./_components/profile-form";
import { Scoreboard } from "./_components/scoreboard";
import { CardSkeleton } from "./_components/skeletons";
import { WhereIStand } from "./_components/where-i-stand";

// The board changes with every score; it is never prerendered. Renders with Node APIs (db, auth).
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const BOARD_SIZE = 10;

const ACTION_LABELS: Record<keyof typeof ACTION_RULES, string> = {
  COMPLETE_TASK: "Complete a task",
  WIN_MATCH: "Win a match",
  DAILY_BONUS: "Daily bonus",
};

const ACTIONS: ActionChoice[] = Object.entries(ACTION_RULES).map(([type, rule]) => ({
  type,
  label: ACTION_LABELS[type as keyof typeof ACTION_RULES],
  points: rule.delta,
  seconds: rule.minSeconds,
}));

/** How far a frame of the board can plausibly bring a player from below the viewer (the page reads "around" again then). */
const FRAME_REACH = frameReach(ACTIONS.map((action) => action.points));

export default async function HomePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  // The tab the address names (`?window=day`), read as the page writes it: rendered here as the client hydrates it.
  const boardWindow = parseBoardWindow((await searchParams)[WINDOW_PARAM]);
  const session = await getServerAuthSession();
  void api.leaderboard.top.prefetch({ limit: BOARD_SIZE, window: boardWindow });
  if (session) {
    void api.leaderboard.me.prefetch({ window: boardWindow });
    // The profile form reads all time's.
    if (boardWindow !== "all") void api.leaderboard.me.prefetch({ window: "all" });
  }

  return (
    <HydrateClient>
      <main className="page">
        <header className="page-header">
          <h1>Live Scoreboard</h1>
          {session?.user.role === "admin" ? <a href="/admin">Admin</a> : null}
          <AccountPanel user={session ? { name: session.user.name, username: session.user.username } : null} githubSignIn={env.GITHUB !== null} />
        </header>
        <BoardWindowProvider initial={boardWindow}>
          <div className={session ? "layout" : undefined}>
            <div className="board-column">
              {/* The server's clock now: where the reset countdowns start, whatever the device's clock says. */}
              <Scoreboard limit={BOARD_SIZE} currentUserId={session?.user.id ?? null} pageRenderedAt={Date.now()} />
              {session ? (
                // My neighbourhood reads my standing: the board above never waits for it.
                <Suspense fallback={null}>
                  <WhereIStand limit={BOARD_SIZE} frameReach={FRAME_REACH} />
                </Suspense>
              ) : null}
            </div>
            {session ? (
              // The reader's own cards stream in as their reads finish, each a skeleton of its shape until then.
              <div className="side">
                <Suspense fallback={<CardSkeleton title="You" name="standing" />}>
                  <MyStanding limit={BOARD_SIZE} />
                </Suspense>
                <PlayPanel actions={ACTIONS} userId={session.user.id} />
                <Suspense fallback={<CardSkeleton title="Profile" name="profile" lines={3} />}>
                  <ProfileForm />
                </Suspense>
              </div>
            ) : null}
          </div>
        </BoardWindowProvider>
      </main>
    </HydrateClient>
  );
}
