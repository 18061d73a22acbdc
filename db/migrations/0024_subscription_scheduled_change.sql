ALTER TABLE "subscriptions" ADD COLUMN "scheduled_tier_id" uuid;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "scheduled_tier_price_id" uuid;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "scheduled_consent_id" uuid;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "scheduled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_scheduled_tier_id_subscription_tiers_id_fk" FOREIGN KEY ("scheduled_tier_id") REFERENCES "public"."subscription_tiers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_scheduled_tier_price_id_tier_prices_id_fk" FOREIGN KEY ("scheduled_tier_price_id") REFERENCES "public"."tier_prices"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_scheduled_consent_id_consents_id_fk" FOREIGN KEY ("scheduled_consent_id") REFERENCES "public"."consents"("id") ON DELETE restrict ON UPDATE no action;