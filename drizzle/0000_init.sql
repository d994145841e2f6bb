CREATE TYPE "public"."user_role" AS ENUM('user', 'admin');--> statement-breakpoint
CREATE SEQUENCE "public"."board_version_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "score_actions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "score_actions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"user_id" uuid NOT NULL,
	"action_id" uuid NOT NULL,
	"action_type" text NOT NULL,
	"delta" integer NOT NULL,
	"previous_score" bigint NOT NULL,
	"new_score" bigint NOT NULL,
	"actor_id" uuid,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"ip" text,
	"user_agent" text,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "score_actions_new_score" CHECK ("score_actions"."new_score" = "score_actions"."previous_score" + "score_actions"."delta")
);
--> statement-breakpoint
CREATE TABLE "scores" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"score" bigint DEFAULT 0 NOT NULL,
	"reached_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"version" bigint DEFAULT nextval('board_version_seq') NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"username" text NOT NULL,
	"display_name" text NOT NULL,
	"password_hash" text,
	"github_id" text,
	"role" "user_role" DEFAULT 'user' NOT NULL,
	"banned" boolean DEFAULT false NOT NULL,
	"hidden" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_username_format" CHECK ("users"."username" ~ '^[a-z0-9_]{3,32}$')
);
--> statement-breakpoint
ALTER TABLE "score_actions" ADD CONSTRAINT "score_actions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "score_actions" ADD CONSTRAINT "score_actions_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scores" ADD CONSTRAINT "scores_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "score_actions_user_action_key" ON "score_actions" USING btree ("user_id","action_id");--> statement-breakpoint
CREATE INDEX "score_actions_user_created_idx" ON "score_actions" USING btree ("user_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "score_actions_user_type_created_idx" ON "score_actions" USING btree ("user_id","action_type","created_at");--> statement-breakpoint
CREATE INDEX "score_actions_created_idx" ON "score_actions" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "scores_board_idx" ON "scores" USING btree ("score" DESC NULLS LAST,"reached_at","user_id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "scores_version_idx" ON "scores" USING btree ("version");--> statement-breakpoint
CREATE UNIQUE INDEX "users_username_lower_key" ON "users" USING btree (lower("username"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_github_id_key" ON "users" USING btree ("github_id");