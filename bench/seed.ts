/**
 * Bench users, bulk-loaded into Postgres (not through the API: a sign-up costs a scrypt hash)
 * with ids that SQL, pgbench and the load generators can all compute from a number:
 * `<kind prefix>-0000-4000-8000-<n in hex>`. Their session cookies are real next-auth JWTs,
 * minted with the app's AUTH_SECRET as next-auth itself would (src/server/auth/config.ts).
 */
import type postgres from "postgres";

import { SESSION_COOKIE, sessionToken } from "../test/support/session-cookie";

/** A signed-in bench user: its id and the Cookie header a browser would send. */
export type BenchUser = { id: string; cookie: string };

/** board: the users the submit scenario drives; drivers: the live scenario's top of the board;
 * anchor: hidden users only the database scenarios write to; window: hidden users only the window
 * cost comparison writes to (scenarios/window-cost.ts); filler: the large board. */
export type UserKind = "board" | "driver" | "anchor" | "window" | "filler";

const ID_PREFIX: Record<UserKind, string> = { board: "b0000000", driver: "d0000000", anchor: "a0000000", window: "c0000000", filler: "f0000000" };
/** Drivers sit far above everyone else, so the live driver's submits always change the top 10. */
export const DRIVER_BASE_SCORE = 10_000_000;
const SEED_CHUNK = 100_000;
/** next-auth's default session lifetime, as a sign-in would set it. */
const BENCH_SESSION_SECONDS = 30 * 24 * 60 * 60;

export function benchUserId(kind: UserKind, n: number) {
  return `${ID_PREFIX[kind]}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/** The same id as an SQL expression of an integer expression (used by the pgbench script too). */
export function benchUserIdSql(kind: UserKind, n: string) {
  return `('${ID_PREFIX[kind]}-0000-4000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;
}

const SCORE_SQL: Record<UserKind, string> = {
  board: "(random() * 100000)::bigint",
  filler: "(random() * 100000)::bigint",
  anchor: "0",
  window: "0",
  // Ten score levels a point apart (see scenarios/live.ts for why).
  driver: `${DRIVER_BASE_SCORE} + n % 10`,
};

/**
 * The kinds that also played today: each user gets one audit row at the time of their score (an
 * administrator's correction of 1 to 1,000 points, so no action's cap is touched) and, from it,
 * their rows of today and this week in window_scores, as the migration's backfill derives them
 * (drizzle/0006_windows.sql). So the day and week boards hold these users as all time does.
 */
const PLAYED_TODAY = new Set<UserKind>(["board"]);

/** Inserts users 1..count of `kind` (and their scores) in chunks; `onProgress` gets the rows done. */
export async function seedUsers(sql: postgres.Sql, kind: UserKind, count: number, onProgress: (done: number) => void = () => {}) {
  const hidden = kind === "anchor" || kind === "window";
  for (let from = 1; from <= count; from += SEED_CHUNK) {
    const to = Math.min(count, from + SEED_CHUNK - 1);
    const id = benchUserIdSql(kind, "n");
    await sql.unsafe(`
      insert into users (id, username, display_name, hidden)
      select ${id}, 'bench_${kind}_' || n, '${kind} ' || n, ${hidden} from generate_series(${from}, ${to}) n`);
    await sql.unsafe(`
      insert into scores (user_id, score, reached_at)
      select ${id}, ${SCORE_SQL[kind]}, now() - n * interval '1 ms' from generate_series(${from}, ${to}) n`);
    if (PLAYED_TODAY.has(kind)) await seedToday(sql, id, from, to);
    onProgress(to);
  }
}

async function seedToday(sql: postgres.Sql, id: string, from: number, to: number) {
  await sql.unsafe(`
    insert into score_actions (user_id, action_id, action_type, delta, previous_score, new_score, metadata, user_agent, created_at)
    select s.user_id, gen_random_uuid(), 'ADMIN_ADJUST', d.delta, s.score - d.delta, s.score, '{"reason":"bench seed"}', 'bench-seed', s.reached_at
    from (select ${id} as user_id, (random() * 999)::int + 1 as delta from generate_series(${from}, ${to}) n) d
    join scores s on s.user_id = d.user_id`);
  await sql.unsafe(`
    insert into window_scores (board_window, period_start, user_id, score, reached_at)
    select p.board_window, date_trunc(p.board_window, a.created_at at time zone 'UTC')::date, a.user_id, sum(a.delta), max(a.created_at)
    from generate_series(${from}, ${to}) n join score_actions a on a.user_id = ${id}
    cross join (values ('day'), ('week')) as p(board_window)
    group by 1, 2, 3`);
}

/** Signed-in bench users: ids and session cookies, as a browser holds them after signing in. */
export async function benchUsers(kind: UserKind, count: number, authSecret: string): Promise<BenchUser[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const n = index + 1;
      const id = benchUserId(kind, n);
      const username = `bench_${kind}_${n}`;
      const jwt = await sessionToken({ id, username, name: `${kind} ${n}`, role: "user" }, authSecret, {}, BENCH_SESSION_SECONDS);
      return { id, cookie: `${SESSION_COOKIE}=${jwt}` };
    }),
  );
}
