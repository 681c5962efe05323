CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"webhook_id" uuid NOT NULL,
	"message_id" text NOT NULL,
	"event" text NOT NULL,
	"restore_id" uuid,
	"attempt" integer NOT NULL,
	"status_code" integer,
	"error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_deliveries_event_check" CHECK (event IN ('restore.started', 'restore.completed', 'restore.failed', 'drill.completed', 'drill.failed')),
	CONSTRAINT "webhook_deliveries_attempt_check" CHECK (attempt >= 1)
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"url" text NOT NULL,
	"events" text[] NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "webhooks_secret_ciphertext_check" CHECK ("webhooks"."secret_ciphertext" LIKE 'v1.%'),
	CONSTRAINT "webhooks_events_check" CHECK (cardinality(events) > 0)
);
--> statement-breakpoint
ALTER TABLE "plans" DROP CONSTRAINT "plans_mode_check";--> statement-breakpoint
ALTER TABLE "restores" DROP CONSTRAINT "restores_error_code_check";--> statement-breakpoint
DROP INDEX "restores_active_database_target_key";--> statement-breakpoint
DROP INDEX "restores_active_path_target_key";--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "source" text DEFAULT 'producer' NOT NULL;--> statement-breakpoint
ALTER TABLE "backups" ADD COLUMN "manifest" jsonb;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "verification" jsonb;--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "drill_schedule" jsonb;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "dry_run" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "drill" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "verify" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "include" jsonb;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "target_schema" text;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "checks" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "preview" jsonb;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "verification" jsonb;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "stage" text;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "eta_seconds" integer;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "cancel_requested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_restore_id_restores_id_fk" FOREIGN KEY ("restore_id") REFERENCES "public"."restores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_webhook_created_idx" ON "webhook_deliveries" USING btree ("webhook_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "webhooks_workspace_created_idx" ON "webhooks" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "restores_open_drill_key" ON "restores" USING btree ("plan_id") WHERE drill AND status IN ('pending', 'in_progress');--> statement-breakpoint
CREATE UNIQUE INDEX "restores_active_database_target_key" ON "restores" USING btree ("target_server_id","target_database") WHERE status = 'in_progress' AND NOT dry_run;--> statement-breakpoint
CREATE UNIQUE INDEX "restores_active_path_target_key" ON "restores" USING btree ("target_path") WHERE status = 'in_progress' AND NOT dry_run;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_source_check" CHECK (source IN ('producer', 'upload'));--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_mode_check" CHECK (mode IN ('scheduled', 'realtime', 'manual'));--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_stage_check" CHECK ("restores"."stage" IS NULL OR stage IN ('preflight', 'restore', 'replay', 'verify', 'swap'));--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_eta_check" CHECK (eta_seconds IS NULL OR eta_seconds >= 0);--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_checks_array_check" CHECK (jsonb_typeof(checks) = 'array');--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_preview_dry_run_check" CHECK (preview IS NULL OR dry_run);--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_dry_run_drill_check" CHECK (NOT (dry_run AND drill));--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_error_code_check" CHECK ("restores"."error_code" IS NULL OR error_code IN ('target_not_empty', 'destination_unavailable', 'artifact_missing', 'checksum_mismatch', 'restore_tool_failed', 'target_unreachable', 'runner_lost', 'runner_shutdown', 'archive_unsafe', 'stream_gap', 'segment_corrupt', 'insufficient_space', 'stream_schema_mismatch', 'preflight_failed', 'verification_failed', 'cancelled', 'dependent_objects', 'internal_error'));--> statement-breakpoint
-- The request fields added by previews, drills, verification and partial restores are as immutable
-- as the target; a cancel request, once stored, is never withdrawn.
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
     OR NEW.request_fingerprint IS DISTINCT FROM OLD.request_fingerprint
     OR NEW.dry_run IS DISTINCT FROM OLD.dry_run
     OR NEW.drill IS DISTINCT FROM OLD.drill
     OR NEW.verify IS DISTINCT FROM OLD.verify
     OR NEW.include IS DISTINCT FROM OLD.include
     OR NEW.target_schema IS DISTINCT FROM OLD.target_schema THEN
    RAISE EXCEPTION 'the request fields of restore % are immutable', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_request_immutable';
  END IF;
  IF OLD.cancel_requested_at IS NOT NULL AND NEW.cancel_requested_at IS DISTINCT FROM OLD.cancel_requested_at THEN
    RAISE EXCEPTION 'the cancel request of restore % cannot be withdrawn or moved', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_cancel_immutable';
  END IF;
  RETURN NEW;
END
$$;
