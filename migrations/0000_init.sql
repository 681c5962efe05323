-- pg_trgm backs the `q` search on backup history (trigram GIN indexes below). Trusted extension: no superuser needed.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "api_tokens_hash_check" CHECK ("api_tokens"."token_hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "backups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"destination_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"format" text NOT NULL,
	"artifact_key" text NOT NULL,
	"size_bytes" bigint,
	"sha256" text,
	"snapshot_lsn" "pg_lsn",
	"error_code" text,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "backups_status_check" CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
	CONSTRAINT "backups_format_check" CHECK (format IN ('pg_custom', 'pg_tar', 'pg_plain', 'pg_plain_gz', 'tar', 'tar_gz')),
	CONSTRAINT "backups_size_check" CHECK ("backups"."size_bytes" IS NULL OR "backups"."size_bytes" >= 0),
	CONSTRAINT "backups_sha256_check" CHECK ("backups"."sha256" IS NULL OR "backups"."sha256" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "backups_completed_check" CHECK ("backups"."status" <> 'completed' OR "backups"."completed_at" IS NOT NULL),
	CONSTRAINT "backups_times_check" CHECK ("backups"."completed_at" IS NULL OR "backups"."started_at" IS NULL OR "backups"."completed_at" >= "backups"."started_at")
);
--> statement-breakpoint
CREATE TABLE "destinations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"bucket" text,
	"region" text,
	"endpoint" text,
	"prefix" text,
	"force_path_style" boolean,
	"access_key_id" text,
	"secret_access_key_ciphertext" text,
	"path" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "destinations_type_check" CHECK (type IN ('s3', 'local')),
	CONSTRAINT "destinations_shape_check" CHECK ((type = 's3' AND bucket IS NOT NULL AND region IS NOT NULL AND access_key_id IS NOT NULL AND secret_access_key_ciphertext LIKE 'v1.%' AND path IS NULL)
       OR (type = 'local' AND path IS NOT NULL AND bucket IS NULL AND region IS NULL AND access_key_id IS NULL AND secret_access_key_ciphertext IS NULL))
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"mode" text DEFAULT 'scheduled' NOT NULL,
	"source_server_id" uuid,
	"source_database" text,
	"source_path" text,
	"destination_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plans_type_check" CHECK (type IN ('database', 'files')),
	CONSTRAINT "plans_mode_check" CHECK (mode IN ('scheduled', 'realtime')),
	CONSTRAINT "plans_source_check" CHECK ((type = 'database' AND source_database IS NOT NULL AND source_path IS NULL)
       OR (type = 'files' AND source_path IS NOT NULL AND source_server_id IS NULL AND source_database IS NULL))
);
--> statement-breakpoint
CREATE TABLE "restore_transitions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "restore_transitions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"restore_id" uuid NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"attempt" integer NOT NULL,
	"runner_id" text,
	"error_code" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "restores" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"backup_id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"target_server_id" uuid,
	"target_database" text,
	"target_path" text,
	"overwrite" boolean DEFAULT false NOT NULL,
	"triggered_by_user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"error_code" text,
	"error_message" text,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"bytes_total" bigint,
	"idempotency_key" text,
	"request_fingerprint" text,
	"attempt" integer DEFAULT 0 NOT NULL,
	"runner_id" text,
	"heartbeat_at" timestamp with time zone,
	CONSTRAINT "restores_status_check" CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
	CONSTRAINT "restores_error_code_check" CHECK ("restores"."error_code" IS NULL OR error_code IN ('target_not_empty', 'destination_unavailable', 'artifact_missing', 'checksum_mismatch', 'restore_tool_failed', 'target_unreachable', 'runner_lost', 'runner_shutdown', 'stream_gap', 'segment_corrupt', 'internal_error')),
	CONSTRAINT "restores_status_fields_check" CHECK ((status = 'pending' AND started_at IS NULL AND completed_at IS NULL AND error_code IS NULL AND error_message IS NULL)
       OR (status = 'in_progress' AND started_at IS NOT NULL AND completed_at IS NULL AND error_code IS NULL AND error_message IS NULL)
       OR (status = 'completed' AND started_at IS NOT NULL AND completed_at IS NOT NULL AND error_code IS NULL AND error_message IS NULL)
       OR (status = 'failed' AND started_at IS NOT NULL AND completed_at IS NOT NULL AND error_code IS NOT NULL AND error_message IS NOT NULL)),
	CONSTRAINT "restores_times_order_check" CHECK ((started_at IS NULL OR started_at >= created_at) AND (completed_at IS NULL OR completed_at >= started_at)),
	CONSTRAINT "restores_target_check" CHECK ((target_path IS NULL AND target_server_id IS NOT NULL AND target_database IS NOT NULL)
       OR (target_path IS NOT NULL AND target_server_id IS NULL AND target_database IS NULL)),
	CONSTRAINT "restores_progress_check" CHECK (bytes_done >= 0 AND (bytes_total IS NULL OR bytes_total >= 0)),
	CONSTRAINT "restores_attempt_check" CHECK (attempt >= 0)
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"engine" text DEFAULT 'postgresql' NOT NULL,
	"host" text NOT NULL,
	"port" integer DEFAULT 5432 NOT NULL,
	"username" text NOT NULL,
	"password_ciphertext" text,
	"maintenance_database" text DEFAULT 'postgres' NOT NULL,
	"sslmode" text DEFAULT 'prefer' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "servers_engine_check" CHECK (engine IN ('postgresql')),
	CONSTRAINT "servers_sslmode_check" CHECK (sslmode IN ('disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full')),
	CONSTRAINT "servers_port_check" CHECK ("servers"."port" BETWEEN 1 AND 65535),
	CONSTRAINT "servers_password_ciphertext_check" CHECK ("servers"."password_ciphertext" IS NULL OR "servers"."password_ciphertext" LIKE 'v1.%')
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role_check" CHECK (role IN ('viewer', 'operator', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "workspaces" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspaces_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "backups" ADD CONSTRAINT "backups_destination_id_destinations_id_fk" FOREIGN KEY ("destination_id") REFERENCES "public"."destinations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "destinations" ADD CONSTRAINT "destinations_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_source_server_id_servers_id_fk" FOREIGN KEY ("source_server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_destination_id_destinations_id_fk" FOREIGN KEY ("destination_id") REFERENCES "public"."destinations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restore_transitions" ADD CONSTRAINT "restore_transitions_restore_id_restores_id_fk" FOREIGN KEY ("restore_id") REFERENCES "public"."restores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_backup_id_backups_id_fk" FOREIGN KEY ("backup_id") REFERENCES "public"."backups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_target_server_id_servers_id_fk" FOREIGN KEY ("target_server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_triggered_by_user_id_users_id_fk" FOREIGN KEY ("triggered_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backups_workspace_created_idx" ON "backups" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "backups_plan_created_idx" ON "backups" USING btree ("workspace_id","plan_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "backups_status_created_idx" ON "backups" USING btree ("workspace_id","status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "backups_artifact_key_trgm_idx" ON "backups" USING gin ("artifact_key" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "destinations_workspace_created_idx" ON "destinations" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "plans_workspace_created_idx" ON "plans" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "plans_name_trgm_idx" ON "plans" USING gin ("name" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "restore_transitions_restore_idx" ON "restore_transitions" USING btree ("restore_id","id");--> statement-breakpoint
CREATE INDEX "restores_workspace_created_idx" ON "restores" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "restores_backup_created_idx" ON "restores" USING btree ("backup_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "restores_plan_created_idx" ON "restores" USING btree ("plan_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "restores_status_created_idx" ON "restores" USING btree ("workspace_id","status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "restores_heartbeat_idx" ON "restores" USING btree ("heartbeat_at") WHERE status = 'in_progress';--> statement-breakpoint
CREATE UNIQUE INDEX "restores_active_database_target_key" ON "restores" USING btree ("target_server_id","target_database") WHERE status = 'in_progress';--> statement-breakpoint
CREATE UNIQUE INDEX "restores_active_path_target_key" ON "restores" USING btree ("target_path") WHERE status = 'in_progress';--> statement-breakpoint
CREATE UNIQUE INDEX "restores_idempotency_key" ON "restores" USING btree ("workspace_id","idempotency_key") WHERE idempotency_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX "servers_workspace_created_idx" ON "servers" USING btree ("workspace_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "users_workspace_email_key" ON "users" USING btree ("workspace_id","email");