-- Editions and lifetime counters (issue 8 §2): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "editions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "lifetime_counters" FORCE ROW LEVEL SECURITY;
