-- Consumer-rights tables (issue 6): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "cancellations" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "withdrawals" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "refunds" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Declarations and statements received are records (proof for the member and the co-op): never deleted.
REVOKE DELETE, TRUNCATE ON "cancellations" FROM kiln_app, kiln_system;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "withdrawals" FROM kiln_app, kiln_system;
