-- Compliance tables (issue 4): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "subscription_tiers" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "terms_versions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_evaluations" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "terms_reviews" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_waivers" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "compliance_settings" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "consents" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Consent records are append-only for the application (like audit_log). Only the system context may
-- update them (the retention job stamps personal_data_erased_at); nobody deletes them.
REVOKE UPDATE, DELETE, TRUNCATE ON "consents" FROM kiln_app;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "consents" FROM kiln_system;
--> statement-breakpoint
-- Review decisions and engine runs are records too: never deleted or rewritten by the application.
REVOKE UPDATE, DELETE, TRUNCATE ON "terms_reviews" FROM kiln_app, kiln_system;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON "compliance_evaluations" FROM kiln_app, kiln_system;
--> statement-breakpoint
-- A terms version is immutable once submitted: its content and hash change only while it is a draft,
-- and a submitted version never returns to draft.
CREATE OR REPLACE FUNCTION kiln_terms_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'draft' AND (NEW.terms IS DISTINCT FROM OLD.terms OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
      OR NEW.tier_id IS DISTINCT FROM OLD.tier_id OR NEW.version IS DISTINCT FROM OLD.version OR NEW.status = 'draft') THEN
    RAISE EXCEPTION 'terms version % is immutable once submitted', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER terms_versions_immutable BEFORE UPDATE ON "terms_versions"
  FOR EACH ROW EXECUTE FUNCTION kiln_terms_versions_immutable();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION kiln_terms_versions_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'draft' THEN
    RAISE EXCEPTION 'terms version % is immutable once submitted', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER terms_versions_no_delete BEFORE DELETE ON "terms_versions"
  FOR EACH ROW EXECUTE FUNCTION kiln_terms_versions_no_delete();
