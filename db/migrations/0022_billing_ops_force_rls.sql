-- Billing operations tables (issue 5): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "billing_reconciliations" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "billing_disputes" FORCE ROW LEVEL SECURITY;
