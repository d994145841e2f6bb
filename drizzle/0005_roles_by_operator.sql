-- Role changes are append-only, like the score audit trail (refuse_change() is from 0001).
CREATE TRIGGER role_changes_immutable BEFORE UPDATE OR DELETE ON role_changes
  FOR EACH ROW EXECUTE FUNCTION refuse_change();--> statement-breakpoint
CREATE TRIGGER role_changes_no_truncate BEFORE TRUNCATE ON role_changes
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();--> statement-breakpoint
-- Until now a role followed the name chosen at sign-up (ADMIN_USERNAMES), so a stored admin role
-- may belong to whoever registered a listed name first: none is kept (each revocation recorded);
-- operators grant again with `npm run admin -- grant <username>`.
INSERT INTO role_changes (user_id, change, role, actor)
  SELECT id, 'revoke', 'admin', 'migration 0005: ADMIN_USERNAMES retired' FROM users WHERE role = 'admin';--> statement-breakpoint
UPDATE users SET role = 'user' WHERE role = 'admin';--> statement-breakpoint
-- GitHub accounts move into their own namespace, `gh-<old name>_<GitHub id>` (unique by the id,
-- within 32 characters), and leave their names to the credentials namespace.
UPDATE users
  SET username = 'gh-' || left(replace(username, '_', '-'), 28 - length(github_id)) || '_' || github_id
  WHERE github_id IS NOT NULL AND username !~ '^gh-';
