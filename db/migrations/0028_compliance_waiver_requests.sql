CREATE TABLE "compliance_waiver_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"tier_id" uuid NOT NULL,
	"terms_version_id" uuid NOT NULL,
	"jurisdiction" text NOT NULL,
	"rule_id" text NOT NULL,
	"reason" text NOT NULL,
	"requested_by" uuid NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"decision_comment" text,
	"waiver_id" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "compliance_waiver_requests_status" CHECK ("compliance_waiver_requests"."status" in ('open', 'granted', 'declined')),
	CONSTRAINT "compliance_waiver_requests_reason" CHECK (length(btrim("compliance_waiver_requests"."reason")) >= 10)
);
--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ADD CONSTRAINT "compliance_waiver_requests_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ADD CONSTRAINT "compliance_waiver_requests_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ADD CONSTRAINT "compliance_waiver_requests_tier_id_subscription_tiers_id_fk" FOREIGN KEY ("tier_id") REFERENCES "public"."subscription_tiers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ADD CONSTRAINT "compliance_waiver_requests_terms_version_id_terms_versions_id_fk" FOREIGN KEY ("terms_version_id") REFERENCES "public"."terms_versions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ADD CONSTRAINT "compliance_waiver_requests_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ADD CONSTRAINT "compliance_waiver_requests_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compliance_waiver_requests" ADD CONSTRAINT "compliance_waiver_requests_waiver_id_compliance_waivers_id_fk" FOREIGN KEY ("waiver_id") REFERENCES "public"."compliance_waivers"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "compliance_waiver_requests_tier_idx" ON "compliance_waiver_requests" USING btree ("tier_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "compliance_waiver_requests_one_open" ON "compliance_waiver_requests" USING btree ("tier_id","jurisdiction","rule_id") WHERE "compliance_waiver_requests"."status" = 'open';--> statement-breakpoint
CREATE POLICY "compliance_waiver_requests_system_all" ON "compliance_waiver_requests" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "compliance_waiver_requests_read" ON "compliance_waiver_requests" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "compliance_waiver_requests_creator_insert" ON "compliance_waiver_requests" AS PERMISSIVE FOR INSERT TO "kiln_app" WITH CHECK (coop_id = kiln_coop_id() and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "compliance_waiver_requests_reviewer_update" ON "compliance_waiver_requests" AS PERMISSIVE FOR UPDATE TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'compliance_reviewer');