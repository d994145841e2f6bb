CREATE TABLE "window_scores" (
	"board_window" text NOT NULL,
	"period_start" date NOT NULL,
	"user_id" uuid NOT NULL,
	"score" bigint NOT NULL,
	"reached_at" timestamp (6) with time zone NOT NULL,
	CONSTRAINT "window_scores_board_window_period_start_user_id_pk" PRIMARY KEY("board_window","period_start","user_id"),
	CONSTRAINT "window_scores_board_window" CHECK ("window_scores"."board_window" in ('day', 'week'))
);
--> statement-breakpoint
ALTER TABLE "window_scores" ADD CONSTRAINT "window_scores_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "window_scores_board_idx" ON "window_scores" USING btree ("board_window","period_start","score" DESC NULLS LAST,"reached_at","user_id" DESC NULLS LAST);