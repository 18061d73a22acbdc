-- Drop payments and orders (issue 8 §4, §8): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "drop_payments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "orders" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Payments and orders are records (the proof of what was shown and paid): never deleted.
REVOKE DELETE, TRUNCATE ON "drop_payments" FROM kiln_app, kiln_system;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "orders" FROM kiln_app, kiln_system;
