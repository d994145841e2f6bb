-- Scores from before window_scores existed, per UTC day and per ISO week: the sum of each user's
-- audit deltas in the period, reached at their latest audit row in it — what the score statement
-- keeps from now on (src/server/scoring/score-service.ts).
INSERT INTO "window_scores" ("board_window", "period_start", "user_id", "score", "reached_at")
SELECT p.board_window, date_trunc(p.board_window, a.created_at at time zone 'UTC')::date, a.user_id, sum(a.delta), max(a.created_at)
FROM "score_actions" a CROSS JOIN (VALUES ('day'), ('week')) AS p(board_window)
GROUP BY 1, 2, 3;
