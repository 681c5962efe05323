CREATE TABLE "stream_segments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"plan_id" uuid NOT NULL,
	"destination_id" uuid NOT NULL,
	"artifact_key" text NOT NULL,
	"start_lsn" "pg_lsn" NOT NULL,
	"end_lsn" "pg_lsn" NOT NULL,
	"first_commit_at" timestamp with time zone NOT NULL,
	"last_commit_at" timestamp with time zone NOT NULL,
	"size_bytes" bigint,
	"sha256" text,
	"compression" text DEFAULT 'none' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stream_segments_range_check" CHECK ("stream_segments"."end_lsn" > "stream_segments"."start_lsn" AND "stream_segments"."last_commit_at" >= "stream_segments"."first_commit_at"),
	CONSTRAINT "stream_segments_compression_check" CHECK (compression IN ('none', 'gzip')),
	CONSTRAINT "stream_segments_size_check" CHECK ("stream_segments"."size_bytes" IS NULL OR "stream_segments"."size_bytes" >= 0),
	CONSTRAINT "stream_segments_sha256_check" CHECK ("stream_segments"."sha256" IS NULL OR "stream_segments"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "pit_target_time" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "pit_applied_lsn" "pg_lsn";--> statement-breakpoint
ALTER TABLE "restores" ADD COLUMN "pit_applied_commit_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "stream_segments" ADD CONSTRAINT "stream_segments_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stream_segments" ADD CONSTRAINT "stream_segments_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stream_segments" ADD CONSTRAINT "stream_segments_destination_id_destinations_id_fk" FOREIGN KEY ("destination_id") REFERENCES "public"."destinations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stream_segments_plan_lsn_idx" ON "stream_segments" USING btree ("workspace_id","plan_id","start_lsn");--> statement-breakpoint
CREATE UNIQUE INDEX "stream_segments_plan_start_key" ON "stream_segments" USING btree ("plan_id","start_lsn");--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_pit_check" CHECK (pit_target_time IS NOT NULL OR (pit_applied_lsn IS NULL AND pit_applied_commit_at IS NULL));--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_pit_target_check" CHECK (pit_target_time IS NULL OR target_path IS NULL);--> statement-breakpoint
-- The requested moment is part of the request: immutable like the target (see 0001).
CREATE OR REPLACE FUNCTION restores_guard_pit_target() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.pit_target_time IS DISTINCT FROM OLD.pit_target_time THEN
    RAISE EXCEPTION 'the point-in-time target of restore % is immutable', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_request_immutable';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER restores_guard_pit_target BEFORE UPDATE OF pit_target_time ON restores
  FOR EACH ROW EXECUTE FUNCTION restores_guard_pit_target();
