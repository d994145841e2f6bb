-- The audit trail is append-only: refuse UPDATE, DELETE and TRUNCATE whatever the caller's privileges.
CREATE FUNCTION score_actions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'score_actions is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER score_actions_immutable BEFORE UPDATE OR DELETE ON score_actions
  FOR EACH ROW EXECUTE FUNCTION score_actions_refuse_change();--> statement-breakpoint
CREATE TRIGGER score_actions_no_truncate BEFORE TRUNCATE ON score_actions
  FOR EACH STATEMENT EXECUTE FUNCTION score_actions_refuse_change();
