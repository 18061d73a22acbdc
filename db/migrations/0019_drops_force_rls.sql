-- Drops tables (issue 8): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "products" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "drops" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "drop_stock" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "drop_member_counters" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "drop_claims" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Claims are records: released, never deleted.
REVOKE DELETE, TRUNCATE ON "drop_claims" FROM kiln_app, kiln_system;
