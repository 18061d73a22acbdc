-- Waiver requests (issue 4): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "compliance_waiver_requests" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- A request and its decision are part of the review record: never deleted.
REVOKE DELETE, TRUNCATE ON "compliance_waiver_requests" FROM kiln_app, kiln_system;
