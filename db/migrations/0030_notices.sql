CREATE TYPE "public"."notice_kind" AS ENUM('acknowledgment', 'trial-ending', 'renewal-reminder', 'annual-reminder', 'price-change', 'cooling-off');--> statement-breakpoint
CREATE TYPE "public"."notice_status" AS ENUM('scheduled', 'sent', 'failed', 'cancelled');--> statement-breakpoint
CREATE TABLE "notices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"subscription_id" uuid NOT NULL,
	"kind" "notice_kind" NOT NULL,
	"period_key" text NOT NULL,
	"event_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"window_rule_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"windows" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"jurisdiction" text NOT NULL,
	"template_id" text NOT NULL,
	"template_version" text NOT NULL,
	"language" text NOT NULL,
	"channel" text DEFAULT 'email' NOT NULL,
	"status" "notice_status" DEFAULT 'scheduled' NOT NULL,
	"sent_at" timestamp with time zone,
	"outbox_email_id" uuid,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"price_change_id" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "notices_channel" CHECK ("notices"."channel" in ('email')),
	CONSTRAINT "notices_language" CHECK ("notices"."language" in ('en', 'de')),
	CONSTRAINT "notices_sent" CHECK ("notices"."status" <> 'sent' or ("notices"."sent_at" is not null and "notices"."outbox_email_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "notices" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "price_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"subscription_id" uuid NOT NULL,
	"tier_id" uuid NOT NULL,
	"terms_version_id" uuid NOT NULL,
	"from_tier_price_id" uuid NOT NULL,
	"to_tier_price_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"old_amount_minor" integer NOT NULL,
	"new_amount_minor" integer NOT NULL,
	"effective_at" timestamp with time zone NOT NULL,
	"jurisdiction" text NOT NULL,
	"requires_opt_in" boolean DEFAULT false NOT NULL,
	"opt_in_token_hash" text,
	"opted_in_at" timestamp with time zone,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"applied_at" timestamp with time zone,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "price_changes_status" CHECK ("price_changes"."status" in ('scheduled', 'applied', 'kept_old_price', 'cancelled')),
	CONSTRAINT "price_changes_amounts" CHECK ("price_changes"."old_amount_minor" >= 0 and "price_changes"."new_amount_minor" >= 0)
);
--> statement-breakpoint
ALTER TABLE "price_changes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_outbox_email_id_email_outbox_id_fk" FOREIGN KEY ("outbox_email_id") REFERENCES "public"."email_outbox"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notices" ADD CONSTRAINT "notices_price_change_id_price_changes_id_fk" FOREIGN KEY ("price_change_id") REFERENCES "public"."price_changes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_tier_id_subscription_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."subscription_tiers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_terms_version_id_terms_versions_id_fk" FOREIGN KEY ("terms_version_id") REFERENCES "public"."terms_versions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_from_tier_price_id_tier_prices_id_fk" FOREIGN KEY ("from_tier_price_id") REFERENCES "public"."tier_prices"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "price_changes" ADD CONSTRAINT "price_changes_to_tier_price_id_tier_prices_id_fk" FOREIGN KEY ("to_tier_price_id") REFERENCES "public"."tier_prices"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notices_subscription_kind_period_key" ON "notices" USING btree ("subscription_id","kind","period_key");--> statement-breakpoint
CREATE INDEX "notices_due_idx" ON "notices" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "notices_member_idx" ON "notices" USING btree ("member_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "price_changes_subscription_price_key" ON "price_changes" USING btree ("subscription_id","to_tier_price_id");--> statement-breakpoint
CREATE INDEX "price_changes_due_idx" ON "price_changes" USING btree ("status","effective_at");--> statement-breakpoint
CREATE POLICY "notices_system_all" ON "notices" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "notices_member_read" ON "notices" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "notices_own_creator" ON "notices" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "notices_coop_read" ON "notices" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer'));--> statement-breakpoint
CREATE POLICY "price_changes_system_all" ON "price_changes" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "price_changes_member_read" ON "price_changes" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "price_changes_own_creator" ON "price_changes" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "price_changes_coop_read" ON "price_changes" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer'));