CREATE TYPE "public"."review_decision" AS ENUM('approve', 'reject');--> statement-breakpoint
CREATE TYPE "public"."terms_status" AS ENUM('draft', 'in_review', 'approved', 'rejected', 'superseded');--> statement-breakpoint
CREATE TABLE "compliance_evaluations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"terms_version_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"findings" jsonb NOT NULL,
	"failing" integer NOT NULL,
	"evaluated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "compliance_evaluations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "compliance_settings" (
	"coop_id" uuid PRIMARY KEY NOT NULL,
	"required_approvals" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "compliance_settings_approvals" CHECK ("compliance_settings"."required_approvals" between 1 and 2)
);
--> statement-breakpoint
ALTER TABLE "compliance_settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "compliance_waivers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"tier_id" uuid NOT NULL,
	"jurisdiction" text NOT NULL,
	"rule_id" text NOT NULL,
	"reason" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "compliance_waivers_reason" CHECK (length(btrim("compliance_waivers"."reason")) >= 10)
);
--> statement-breakpoint
ALTER TABLE "compliance_waivers" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "consents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"tier_id" uuid NOT NULL,
	"terms_version_id" uuid NOT NULL,
	"terms_hash" text NOT NULL,
	"disclosure_hash" text NOT NULL,
	"disclosure_text" text NOT NULL,
	"button_label" text NOT NULL,
	"checkboxes" jsonb NOT NULL,
	"price_shown" jsonb NOT NULL,
	"jurisdiction" text NOT NULL,
	"locale" text NOT NULL,
	"trial_ends_at" timestamp with time zone,
	"consented_at" timestamp with time zone NOT NULL,
	"contract_ended_at" timestamp with time zone,
	"retain_until" timestamp with time zone NOT NULL,
	"personal_data_id" uuid,
	"personal_data_erased_at" timestamp with time zone,
	"audit_seq" integer,
	"is_express_start_request" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "consents" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "subscription_tiers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"name" text NOT NULL,
	"jurisdictions" text[] NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "subscription_tiers_status" CHECK ("subscription_tiers"."status" in ('draft', 'live', 'retired'))
);
--> statement-breakpoint
ALTER TABLE "subscription_tiers" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "terms_reviews" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"terms_version_id" uuid NOT NULL,
	"round" integer DEFAULT 1 NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"decision" "review_decision" NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "terms_reviews" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "terms_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"tier_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"status" "terms_status" DEFAULT 'draft' NOT NULL,
	"terms" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"created_by" uuid,
	"submitted_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"rereview_reason" text,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "terms_versions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "creators" ADD COLUMN "capacity_weight" double precision DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "factories" ADD COLUMN "cost_per_unit_cents" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "compliance_evaluations" ADD CONSTRAINT "compliance_evaluations_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_evaluations" ADD CONSTRAINT "compliance_evaluations_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_evaluations" ADD CONSTRAINT "compliance_evaluations_terms_version_id_terms_versions_id_fk" FOREIGN KEY ("terms_version_id") REFERENCES "public"."terms_versions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_settings" ADD CONSTRAINT "compliance_settings_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waivers" ADD CONSTRAINT "compliance_waivers_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waivers" ADD CONSTRAINT "compliance_waivers_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waivers" ADD CONSTRAINT "compliance_waivers_tier_id_subscription_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."subscription_tiers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waivers" ADD CONSTRAINT "compliance_waivers_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_tier_id_subscription_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."subscription_tiers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_terms_version_id_terms_versions_id_fk" FOREIGN KEY ("terms_version_id") REFERENCES "public"."terms_versions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_personal_data_id_audit_personal_data_id_fk" FOREIGN KEY ("personal_data_id") REFERENCES "public"."audit_personal_data"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_tiers" ADD CONSTRAINT "subscription_tiers_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscription_tiers" ADD CONSTRAINT "subscription_tiers_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_reviews" ADD CONSTRAINT "terms_reviews_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_reviews" ADD CONSTRAINT "terms_reviews_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_reviews" ADD CONSTRAINT "terms_reviews_terms_version_id_terms_versions_id_fk" FOREIGN KEY ("terms_version_id") REFERENCES "public"."terms_versions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_reviews" ADD CONSTRAINT "terms_reviews_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_versions" ADD CONSTRAINT "terms_versions_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_versions" ADD CONSTRAINT "terms_versions_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_versions" ADD CONSTRAINT "terms_versions_tier_id_subscription_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."subscription_tiers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "terms_versions" ADD CONSTRAINT "terms_versions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "compliance_evaluations_version_idx" ON "compliance_evaluations" USING btree ("terms_version_id","evaluated_at");--> statement-breakpoint
CREATE INDEX "compliance_waivers_tier_idx" ON "compliance_waivers" USING btree ("tier_id");--> statement-breakpoint
CREATE INDEX "consents_coop_idx" ON "consents" USING btree ("coop_id","consented_at");--> statement-breakpoint
CREATE INDEX "consents_member_idx" ON "consents" USING btree ("member_user_id");--> statement-breakpoint
CREATE INDEX "consents_retention_idx" ON "consents" USING btree ("retain_until");--> statement-breakpoint
CREATE INDEX "subscription_tiers_creator_idx" ON "subscription_tiers" USING btree ("coop_id","creator_id");--> statement-breakpoint
CREATE UNIQUE INDEX "terms_reviews_one_per_reviewer" ON "terms_reviews" USING btree ("terms_version_id","round","reviewer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "terms_versions_tier_version_key" ON "terms_versions" USING btree ("tier_id","version");--> statement-breakpoint
CREATE INDEX "terms_versions_queue_idx" ON "terms_versions" USING btree ("coop_id","status");--> statement-breakpoint
ALTER TABLE "creators" ADD CONSTRAINT "creators_capacity_weight_positive" CHECK ("creators"."capacity_weight" > 0);--> statement-breakpoint
ALTER TABLE "factories" ADD CONSTRAINT "factories_lead_time_nonnegative" CHECK ("factories"."lead_time_days" >= 0);--> statement-breakpoint
ALTER TABLE "factories" ADD CONSTRAINT "factories_cost_nonnegative" CHECK ("factories"."cost_per_unit_cents" >= 0);--> statement-breakpoint
DROP POLICY "factories_coop" ON "factories" CASCADE;--> statement-breakpoint
CREATE POLICY "factories_coop_read" ON "factories" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer', 'creator_owner', 'creator_staff', 'factory_operator'));--> statement-breakpoint
CREATE POLICY "factories_coop_admin" ON "factories" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "compliance_evaluations_system_all" ON "compliance_evaluations" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "compliance_evaluations_creator" ON "compliance_evaluations" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())) WITH CHECK (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "compliance_settings_system_all" ON "compliance_settings" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "compliance_settings_coop" ON "compliance_settings" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id()) WITH CHECK (coop_id = kiln_coop_id());--> statement-breakpoint
CREATE POLICY "compliance_waivers_system_all" ON "compliance_waivers" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "compliance_waivers_read" ON "compliance_waivers" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "compliance_waivers_reviewer_insert" ON "compliance_waivers" AS PERMISSIVE FOR INSERT TO "kiln_app" WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer');--> statement-breakpoint
CREATE POLICY "compliance_waivers_reviewer_update" ON "compliance_waivers" AS PERMISSIVE FOR UPDATE TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer');--> statement-breakpoint
CREATE POLICY "consents_system_all" ON "consents" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "consents_member_read" ON "consents" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "consents_member_insert" ON "consents" AS PERMISSIVE FOR INSERT TO "kiln_app" WITH CHECK (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "consents_reviewer_read" ON "consents" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer'));--> statement-breakpoint
CREATE POLICY "subscription_tiers_system_all" ON "subscription_tiers" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "subscription_tiers_creator" ON "subscription_tiers" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())) WITH CHECK (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "terms_reviews_system_all" ON "terms_reviews" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "terms_reviews_read" ON "terms_reviews" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "terms_reviews_reviewer_insert" ON "terms_reviews" AS PERMISSIVE FOR INSERT TO "kiln_app" WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer');--> statement-breakpoint
CREATE POLICY "terms_reviews_reviewer_update" ON "terms_reviews" AS PERMISSIVE FOR UPDATE TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer');--> statement-breakpoint
CREATE POLICY "terms_versions_system_all" ON "terms_versions" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "terms_versions_creator" ON "terms_versions" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())) WITH CHECK (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));