-- Personalised offers (issue 9): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "personalization_consents" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "product_view_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "offer_exposures" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "offer_exposure_items" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "offer_models" FORCE ROW LEVEL SECURITY;
