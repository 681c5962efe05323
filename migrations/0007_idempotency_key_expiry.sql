CREATE TABLE "restore_idempotency_keys" (
	"workspace_id" uuid NOT NULL,
	"key" text NOT NULL,
	"restore_id" uuid NOT NULL,
	"request_fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "restore_idempotency_keys_workspace_id_key_pk" PRIMARY KEY("workspace_id","key")
);
--> statement-breakpoint
DROP INDEX "restores_idempotency_key";--> statement-breakpoint
ALTER TABLE "restore_idempotency_keys" ADD CONSTRAINT "restore_idempotency_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restore_idempotency_keys" ADD CONSTRAINT "restore_idempotency_keys_restore_id_restores_id_fk" FOREIGN KEY ("restore_id") REFERENCES "public"."restores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "restore_idempotency_keys_created_idx" ON "restore_idempotency_keys" USING btree ("created_at");--> statement-breakpoint
-- Keys already in use keep naming their restore (and expire 24 h after it was created, by default).
INSERT INTO "restore_idempotency_keys" ("workspace_id", "key", "restore_id", "request_fingerprint", "created_at")
SELECT "workspace_id", "idempotency_key", "id", coalesce("request_fingerprint", ''), "created_at"
FROM "restores" WHERE "idempotency_key" IS NOT NULL;
