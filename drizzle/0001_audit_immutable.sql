-- The audit trail is append-only: refuse UPDATE, DELETE and TRUNCATE whatever the caller's privileges.
-- The function is generic (it names the table) so every append-only table can use it.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;--> statement-breakpoint
CREATE TRIGGER score_actions_immutable BEFORE UPDATE OR DELETE ON score_actions
  FOR EACH ROW EXECUTE FUNCTION refuse_change();--> statement-breakpoint
CREATE TRIGGER score_actions_no_truncate BEFORE TRUNCATE ON score_actions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
