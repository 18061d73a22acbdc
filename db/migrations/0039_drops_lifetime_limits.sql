CREATE TABLE "editions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"name" text NOT NULL,
	"lifetime_limit" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "editions_lifetime_limit_positive" CHECK ("editions"."lifetime_limit" >= 1)
);
--> statement-breakpoint
ALTER TABLE "editions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "lifetime_counters" (
	"coop_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"subject_id" uuid NOT NULL,
	"subject_type" text NOT NULL,
	"taken" integer NOT NULL,
	CONSTRAINT "lifetime_counters_coop_id_member_user_id_subject_id_pk" PRIMARY KEY("coop_id","member_user_id","subject_id"),
	CONSTRAINT "lifetime_counters_taken_nonnegative" CHECK ("lifetime_counters"."taken" >= 0),
	CONSTRAINT "lifetime_counters_subject_type" CHECK ("lifetime_counters"."subject_type" in ('product', 'edition'))
);
--> statement-breakpoint
ALTER TABLE "lifetime_counters" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "drop_claims" ADD COLUMN "lifetime_subject_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "lifetime_limit" integer;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "edition_id" uuid;--> statement-breakpoint
ALTER TABLE "editions" ADD CONSTRAINT "editions_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lifetime_counters" ADD CONSTRAINT "lifetime_counters_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lifetime_counters" ADD CONSTRAINT "lifetime_counters_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "editions_coop_idx" ON "editions" USING btree ("coop_id");--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_edition_id_editions_id_fk" FOREIGN KEY ("edition_id") REFERENCES "public"."editions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "products_edition_idx" ON "products" USING btree ("edition_id");--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_lifetime_limit_positive" CHECK ("products"."lifetime_limit" is null or "products"."lifetime_limit" >= 1);--> statement-breakpoint
CREATE POLICY "editions_system_all" ON "editions" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "editions_coop_admin" ON "editions" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "editions_coop_read" ON "editions" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('creator_owner', 'creator_staff', 'compliance_reviewer'));--> statement-breakpoint
CREATE POLICY "lifetime_counters_system_all" ON "lifetime_counters" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "lifetime_counters_member_read" ON "lifetime_counters" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());