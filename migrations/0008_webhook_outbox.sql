CREATE TABLE "webhook_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"webhook_id" uuid NOT NULL,
	"restore_id" uuid NOT NULL,
	"event" text NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"restore_snapshot" jsonb NOT NULL,
	"body" text,
	"dispatched_at" timestamp with time zone,
	CONSTRAINT "webhook_messages_event_check" CHECK (event IN ('restore.started', 'restore.completed', 'restore.failed', 'drill.completed', 'drill.failed')),
	CONSTRAINT "webhook_messages_dispatched_check" CHECK ((dispatched_at IS NULL) = (body IS NULL))
);
--> statement-breakpoint
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_webhook_id_webhooks_id_fk" FOREIGN KEY ("webhook_id") REFERENCES "public"."webhooks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_messages" ADD CONSTRAINT "webhook_messages_restore_id_restores_id_fk" FOREIGN KEY ("restore_id") REFERENCES "public"."restores"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_messages_undispatched_idx" ON "webhook_messages" USING btree ("occurred_at","id") WHERE dispatched_at IS NULL;--> statement-breakpoint
-- Webhook events are written by the database in the transaction that changes a restore's status,
-- whatever changed it (the runner, the sweeper, a cancel in the API): a crash between the
-- transition and the enqueue cannot lose an event, because there is no "between". One message per
-- subscribed, enabled, live webhook of the workspace; a runner's relay hands them to pg-boss.
-- Dry runs send nothing; drills send only drill.completed / drill.failed.
CREATE OR REPLACE FUNCTION restores_webhook_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ev text;
BEGIN
  IF NEW.dry_run THEN
    RETURN NULL;
  END IF;
  ev := CASE
    WHEN NEW.drill AND NEW.status = 'completed' THEN 'drill.completed'
    WHEN NEW.drill AND NEW.status = 'failed' THEN 'drill.failed'
    WHEN NEW.drill THEN NULL
    WHEN NEW.status = 'in_progress' THEN 'restore.started'
    WHEN NEW.status = 'completed' THEN 'restore.completed'
    WHEN NEW.status = 'failed' THEN 'restore.failed'
  END;
  IF ev IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO webhook_messages (workspace_id, webhook_id, restore_id, event, restore_snapshot)
  SELECT NEW.workspace_id, w.id, NEW.id, ev, to_jsonb(NEW)
  FROM webhooks w
  WHERE w.workspace_id = NEW.workspace_id AND w.enabled AND w.deleted_at IS NULL AND ev = ANY (w.events);
  IF FOUND THEN
    PERFORM pg_notify('webhook_messages', '');
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER restores_webhook_outbox AFTER UPDATE OF status ON restores
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION restores_webhook_outbox();
