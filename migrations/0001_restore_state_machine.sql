-- The restore state machine, enforced by PostgreSQL whatever code touches the row (DESIGN.md):
--   pending -> in_progress -> completed | failed, and pending -> failed. Terminal rows never change.
-- The per-status field rules are CHECK constraints in 0000; this trigger guards transitions and
-- keeps the audit fields (what, where, who, when requested) immutable.
CREATE OR REPLACE FUNCTION restores_guard_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status IN ('completed', 'failed') THEN
    RAISE EXCEPTION 'restore % is % and can no longer change', OLD.id, OLD.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_terminal_immutable';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'pending' AND NEW.status IN ('in_progress', 'failed'))
    OR (OLD.status = 'in_progress' AND NEW.status IN ('completed', 'failed'))
  ) THEN
    RAISE EXCEPTION 'illegal restore transition % -> % for restore %', OLD.status, NEW.status, OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_transition_check';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id
     OR NEW.workspace_id IS DISTINCT FROM OLD.workspace_id
     OR NEW.backup_id IS DISTINCT FROM OLD.backup_id
     OR NEW.plan_id IS DISTINCT FROM OLD.plan_id
     OR NEW.target_server_id IS DISTINCT FROM OLD.target_server_id
     OR NEW.target_database IS DISTINCT FROM OLD.target_database
     OR NEW.target_path IS DISTINCT FROM OLD.target_path
     OR NEW.overwrite IS DISTINCT FROM OLD.overwrite
     OR NEW.triggered_by_user_id IS DISTINCT FROM OLD.triggered_by_user_id
     OR NEW.created_at IS DISTINCT FROM OLD.created_at
     OR NEW.idempotency_key IS DISTINCT FROM OLD.idempotency_key
     OR NEW.request_fingerprint IS DISTINCT FROM OLD.request_fingerprint THEN
    RAISE EXCEPTION 'the request fields of restore % are immutable', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_request_immutable';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER restores_guard_update BEFORE UPDATE ON restores
  FOR EACH ROW EXECUTE FUNCTION restores_guard_update();
--> statement-breakpoint
-- A restore is born pending: anything else would skip the audit trail's first steps.
CREATE OR REPLACE FUNCTION restores_guard_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status <> 'pending' THEN
    RAISE EXCEPTION 'a restore must be created pending, not %', NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_insert_pending_check';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER restores_guard_insert BEFORE INSERT ON restores
  FOR EACH ROW EXECUTE FUNCTION restores_guard_insert();
--> statement-breakpoint
-- Audit trail and change feed: every insert and status change lands in restore_transitions, and
-- every insert or update (progress included) is announced on channel `restore_changed` so the
-- API's server-sent events follow a restore without polling.
CREATE OR REPLACE FUNCTION restores_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    INSERT INTO restore_transitions (restore_id, from_status, to_status, attempt, runner_id, error_code)
    VALUES (NEW.id, CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.status END, NEW.status, NEW.attempt, NEW.runner_id, NEW.error_code);
  END IF;
  PERFORM pg_notify('restore_changed', json_build_object('id', NEW.id, 'workspaceId', NEW.workspace_id, 'status', NEW.status)::text);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER restores_record_change AFTER INSERT OR UPDATE ON restores
  FOR EACH ROW EXECUTE FUNCTION restores_record_change();
--> statement-breakpoint
-- The audit trail is append-only.
CREATE OR REPLACE FUNCTION restore_transitions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'restore_transitions is append-only' USING ERRCODE = 'check_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER restore_transitions_append_only BEFORE UPDATE OR DELETE ON restore_transitions
  FOR EACH ROW EXECUTE FUNCTION restore_transitions_append_only();
