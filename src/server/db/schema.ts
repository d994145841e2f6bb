import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

/** Microsecond timestamps: ties on score are broken by who reached it first. */
const timestamptz = (name: string) => timestamp(name, { withTimezone: true, precision: 6 });

export const userRole = pgEnum("user_role", ["user", "admin"]);

export const boardVersionSeq = pgSequence("board_version_seq");

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /**
     * Stored lower-case; sign-in matches case-insensitively. Accounts made through GitHub are
     * named `gh-…`: a '-' no credentials name may have, so neither can take the other's name.
     */
    username: text("username").notNull(),
    displayName: text("display_name").notNull(),
    /** Null for accounts that only sign in through OAuth. */
    passwordHash: text("password_hash"),
    githubId: text("github_id"),
    /** The authority on roles: changed only by an operator (`npm run admin`), each change in role_changes. */
    role: userRole("role").notNull().default("user"),
    banned: boolean("banned").notNull().default(false),
    hidden: boolean("hidden").notNull().default(false),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("users_username_lower_key").on(sql`lower(${table.username})`),
    uniqueIndex("users_github_id_key").on(table.githubId),
    check("users_username_format", sql`${table.username} ~ '^([a-z0-9_]{3,32}|gh-[a-z0-9_-]{1,29})$'`),
  ],
);

export const scores = pgTable(
  "scores",
  {
    userId: uuid("user_id")
      .primaryKey()
      .references(() => users.id),
    score: bigint("score", { mode: "number" }).notNull().default(0),
    /** When the current score was reached; earlier ranks higher among equal scores. */
    reachedAt: timestamptz("reached_at").notNull().defaultNow(),
    /**
     * A fresh value of `board_version_seq` at every change of this row (score, visibility,
     * name). Per user it orders writes, so a stale write to the Redis board is dropped; over
     * all users, its maximum is the board's version, the same in Postgres and Redis.
     */
    version: bigint("version", { mode: "number" })
      .notNull()
      .default(sql`nextval('board_version_seq')`),
  },
  (table) => [
    index("scores_board_idx").on(table.score.desc(), table.reachedAt.asc(), table.userId.desc()),
    index("scores_version_idx").on(table.version),
  ],
);

/**
 * Each user's score in each day (UTC) and ISO week they scored in: the sum of their audit deltas
 * in that period, kept by the same statement that writes the audit row (so always equal to that
 * sum), and the board of a period — the current one rebuilt into Redis, a finished one read here.
 */
export const windowScores = pgTable(
  "window_scores",
  {
    boardWindow: text("board_window", { enum: ["day", "week"] }).notNull(),
    /** The period's first day: the UTC day itself, or the Monday of the ISO week. */
    periodStart: date("period_start", { mode: "string" }).notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    score: bigint("score", { mode: "number" }).notNull(),
    /** When the user reached this score: the time of their latest audit row in the period. */
    reachedAt: timestamptz("reached_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.boardWindow, table.periodStart, table.userId] }),
    check("window_scores_board_window", sql`${table.boardWindow} in ('day', 'week')`),
    // A period's board, in the board's order (see src/server/scoring/board-queries.ts).
    index("window_scores_board_idx").on(table.boardWindow, table.periodStart, table.score.desc(), table.reachedAt.asc(), table.userId.desc()),
  ],
);

/** The audit trail: one immutable row per score change (a trigger refuses UPDATE and DELETE). */
export const scoreActions = pgTable(
  "score_actions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    actionId: uuid("action_id").notNull(),
    actionType: text("action_type").notNull(),
    delta: integer("delta").notNull(),
    previousScore: bigint("previous_score", { mode: "number" }).notNull(),
    newScore: bigint("new_score", { mode: "number" }).notNull(),
    /** Who caused the change when it was not the user (an admin adjustment). */
    actorId: uuid("actor_id").references(() => users.id),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("score_actions_user_action_key").on(table.userId, table.actionId),
    // A user's history, newest first.
    index("score_actions_user_created_idx").on(table.userId, table.createdAt.desc(), table.id.desc()),
    // Per-action caps: count a user's actions of one type since a moment.
    index("score_actions_user_type_created_idx").on(table.userId, table.actionType, table.createdAt),
    // The admin audit browser, newest first across all users.
    index("score_actions_created_idx").on(table.createdAt.desc(), table.id.desc()),
    check("score_actions_new_score", sql`${table.newScore} = ${table.previousScore} + ${table.delta}`),
  ],
);

/** Bans and unbans with their reason and the admin who made them (append-only, like the audit trail). */
export const moderationActions = pgTable(
  "moderation_actions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    actorId: uuid("actor_id")
      .notNull()
      .references(() => users.id),
    action: text("action", { enum: ["ban", "unban"] }).notNull(),
    reason: text("reason").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [index("moderation_actions_user_idx").on(table.userId, table.createdAt.desc())],
);

/** Every grant and revocation of a role, with the operator who made it (append-only, like the audit trail). */
export const roleChanges = pgTable(
  "role_changes",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    change: text("change", { enum: ["grant", "revoke"] }).notNull(),
    role: userRole("role").notNull(),
    /** Who ran `npm run admin`: `--by`, ADMIN_ACTOR or the operating-system user. */
    actor: text("actor").notNull(),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [index("role_changes_user_idx").on(table.userId, table.createdAt.desc())],
);

/**
 * Submits the server refused (too fast, over a cap, a bad token): evidence for anomaly flags.
 * Successful actions are in score_actions; together they describe a user's behaviour.
 */
export const actionRefusals = pgTable(
  "action_refusals",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    reason: text("reason").notNull(),
    ip: text("ip"),
    createdAt: timestamptz("created_at").notNull().defaultNow(),
  },
  (table) => [index("action_refusals_created_idx").on(table.createdAt, table.userId)],
);

export type User = typeof users.$inferSelect;
export type Score = typeof scores.$inferSelect;
export type ScoreAction = typeof scoreActions.$inferSelect;
