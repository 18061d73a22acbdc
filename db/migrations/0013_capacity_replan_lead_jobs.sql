CREATE TABLE "allocation_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"period" text NOT NULL,
	"allow_backup" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"stage" text DEFAULT 'queued' NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"run_id" uuid,
	"error" text,
	"requested_by_user_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "allocation_jobs_status" CHECK ("allocation_jobs"."status" in ('queued', 'running', 'done', 'failed')),
	CONSTRAINT "allocation_jobs_progress" CHECK ("allocation_jobs"."progress" between 0 and 100)
);
--> statement-breakpoint
ALTER TABLE "allocation_jobs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "capacity_settings" (
	"coop_id" uuid PRIMARY KEY NOT NULL,
	"offshore_lead_time_days" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "capacity_settings_offshore_days" CHECK ("capacity_settings"."offshore_lead_time_days" between 1 and 365)
);
--> statement-breakpoint
ALTER TABLE "capacity_settings" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "allocations" ADD COLUMN "flagged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "allocations" ADD COLUMN "flag_reason" text;--> statement-breakpoint
ALTER TABLE "allocations" ADD COLUMN "revised_ship_by" date;--> statement-breakpoint
ALTER TABLE "allocation_jobs" ADD CONSTRAINT "allocation_jobs_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_jobs" ADD CONSTRAINT "allocation_jobs_run_id_allocation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."allocation_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capacity_settings" ADD CONSTRAINT "capacity_settings_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "allocation_jobs_coop_idx" ON "allocation_jobs" USING btree ("coop_id","created_at");--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_flag_reason" CHECK ("allocations"."flag_reason" is null or "allocations"."flag_reason" in ('window_reduced', 'factory_paused'));--> statement-breakpoint
CREATE POLICY "allocation_jobs_system_all" ON "allocation_jobs" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "allocation_jobs_coop_admin" ON "allocation_jobs" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "capacity_settings_system_all" ON "capacity_settings" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "capacity_settings_coop_admin" ON "capacity_settings" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');