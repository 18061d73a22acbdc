CREATE TABLE "offer_experiments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"device_weight" integer NOT NULL,
	"server_weight" integer NOT NULL,
	"holdout_weight" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"started_by" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "offer_experiments_version" CHECK ("offer_experiments"."version" >= 1),
	CONSTRAINT "offer_experiments_weights" CHECK ("offer_experiments"."device_weight" between 0 and 100 and "offer_experiments"."server_weight" between 0 and 100 and "offer_experiments"."holdout_weight" between 0 and 100
        and "offer_experiments"."device_weight" + "offer_experiments"."server_weight" + "offer_experiments"."holdout_weight" = 100 and "offer_experiments"."device_weight" + "offer_experiments"."server_weight" > 0),
	CONSTRAINT "offer_experiments_ended_after" CHECK ("offer_experiments"."ended_at" is null or "offer_experiments"."ended_at" >= "offer_experiments"."started_at")
);
--> statement-breakpoint
ALTER TABLE "offer_experiments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "offer_experiments" ADD CONSTRAINT "offer_experiments_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_experiments" ADD CONSTRAINT "offer_experiments_started_by_users_id_fk" FOREIGN KEY ("started_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "offer_experiments_coop_version_key" ON "offer_experiments" USING btree ("coop_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "offer_experiments_one_current_key" ON "offer_experiments" USING btree ("coop_id") WHERE "offer_experiments"."ended_at" is null;--> statement-breakpoint
CREATE POLICY "offer_experiments_system_all" ON "offer_experiments" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "offer_experiments_coop_admin" ON "offer_experiments" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "offer_experiments_coop_read" ON "offer_experiments" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
-- Forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "offer_experiments" FORCE ROW LEVEL SECURITY;
