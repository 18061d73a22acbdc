-- Billing tables (issue 5): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "billing_settings" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "billing_accounts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "tier_prices" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "billing_customers" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "subscriptions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "billing_webhook_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- A stored event's raw body and identity are records: the processor only stamps its progress.
REVOKE DELETE, TRUNCATE ON "billing_webhook_events" FROM kiln_app, kiln_system;
