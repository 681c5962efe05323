ALTER TABLE "restores" ADD COLUMN "drill_keep" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "restores" ADD CONSTRAINT "restores_drill_keep_check" CHECK (drill OR NOT drill_keep);--> statement-breakpoint
-- drill_keep is a request field like the others made immutable in 0006; a trigger of its own keeps
-- restores_guard_update() as 0006 wrote it.
CREATE OR REPLACE FUNCTION restores_guard_drill_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.drill_keep IS DISTINCT FROM OLD.drill_keep THEN
    RAISE EXCEPTION 'the request fields of restore % are immutable', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'restores_request_immutable';
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER restores_guard_drill_keep BEFORE UPDATE ON restores FOR EACH ROW EXECUTE FUNCTION restores_guard_drill_keep();
