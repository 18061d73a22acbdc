-- Drop waitlists (issue 8 §5): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "drop_waitlist" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Waitlist entries are records of who was offered what: never deleted.
REVOKE DELETE, TRUNCATE ON "drop_waitlist" FROM kiln_app, kiln_system;
