CREATE TABLE "allocation_outcomes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"method" text NOT NULL,
	"request_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"requested_units" integer NOT NULL,
	"allocated_units" integer NOT NULL,
	"fair_share" double precision NOT NULL,
	"bound_by" text NOT NULL,
	"explanation" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "allocation_outcomes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "allocation_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"period" text NOT NULL,
	"allow_backup" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"inputs" jsonb NOT NULL,
	"summary" jsonb NOT NULL,
	"locked_method" text,
	"locked_at" timestamp with time zone,
	"locked_by_user_id" uuid,
	"run_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "allocation_runs_status" CHECK ("allocation_runs"."status" in ('draft', 'locked', 'superseded')),
	CONSTRAINT "allocation_runs_locked_method" CHECK ("allocation_runs"."locked_method" is null or "allocation_runs"."locked_method" in ('fair', 'optimal'))
);
--> statement-breakpoint
ALTER TABLE "allocation_runs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "allocations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"method" text NOT NULL,
	"request_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"factory_id" uuid NOT NULL,
	"capability" text NOT NULL,
	"period" text NOT NULL,
	"units" integer NOT NULL,
	"is_adjusted" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "allocations_units_nonnegative" CHECK ("allocations"."units" >= 0),
	CONSTRAINT "allocations_method" CHECK ("allocations"."method" in ('fair', 'optimal'))
);
--> statement-breakpoint
ALTER TABLE "allocations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "capacity_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"capability" text NOT NULL,
	"period" text NOT NULL,
	"units" integer NOT NULL,
	"min_batch" integer DEFAULT 1 NOT NULL,
	"preferred_factory_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"latest_ship_date" date,
	"status" text DEFAULT 'open' NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "capacity_requests_units_positive" CHECK ("capacity_requests"."units" > 0),
	CONSTRAINT "capacity_requests_min_batch" CHECK ("capacity_requests"."min_batch" >= 1 and "capacity_requests"."min_batch" <= "capacity_requests"."units"),
	CONSTRAINT "capacity_requests_status" CHECK ("capacity_requests"."status" in ('open', 'withdrawn'))
);
--> statement-breakpoint
ALTER TABLE "capacity_requests" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "capacity_windows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"factory_id" uuid NOT NULL,
	"capability" text NOT NULL,
	"period" text NOT NULL,
	"units" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "capacity_windows_units_nonnegative" CHECK ("capacity_windows"."units" >= 0),
	CONSTRAINT "capacity_windows_period_iso_week" CHECK ("capacity_windows"."period" ~ '^[0-9]{4}-W[0-9]{2}$')
);
--> statement-breakpoint
ALTER TABLE "capacity_windows" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "allocation_outcomes" ADD CONSTRAINT "allocation_outcomes_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_outcomes" ADD CONSTRAINT "allocation_outcomes_run_id_allocation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."allocation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_outcomes" ADD CONSTRAINT "allocation_outcomes_request_id_capacity_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."capacity_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_outcomes" ADD CONSTRAINT "allocation_outcomes_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocation_runs" ADD CONSTRAINT "allocation_runs_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_run_id_allocation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."allocation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_request_id_capacity_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."capacity_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_factory_id_factories_id_fk" FOREIGN KEY ("factory_id") REFERENCES "public"."factories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capacity_requests" ADD CONSTRAINT "capacity_requests_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capacity_requests" ADD CONSTRAINT "capacity_requests_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capacity_windows" ADD CONSTRAINT "capacity_windows_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "capacity_windows" ADD CONSTRAINT "capacity_windows_factory_id_factories_id_fk" FOREIGN KEY ("factory_id") REFERENCES "public"."factories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "allocation_outcomes_run_method_request_key" ON "allocation_outcomes" USING btree ("run_id","method","request_id");--> statement-breakpoint
CREATE INDEX "allocation_outcomes_creator_idx" ON "allocation_outcomes" USING btree ("creator_id");--> statement-breakpoint
CREATE INDEX "allocation_runs_coop_period_idx" ON "allocation_runs" USING btree ("coop_id","period");--> statement-breakpoint
CREATE UNIQUE INDEX "allocations_run_method_request_factory_key" ON "allocations" USING btree ("run_id","method","request_id","factory_id");--> statement-breakpoint
CREATE INDEX "allocations_creator_idx" ON "allocations" USING btree ("creator_id","capability","period");--> statement-breakpoint
CREATE INDEX "allocations_factory_idx" ON "allocations" USING btree ("factory_id","period");--> statement-breakpoint
CREATE INDEX "capacity_requests_coop_period_idx" ON "capacity_requests" USING btree ("coop_id","period");--> statement-breakpoint
CREATE INDEX "capacity_requests_creator_idx" ON "capacity_requests" USING btree ("creator_id");--> statement-breakpoint
CREATE UNIQUE INDEX "capacity_windows_factory_capability_period_key" ON "capacity_windows" USING btree ("factory_id","capability","period");--> statement-breakpoint
CREATE INDEX "capacity_windows_coop_period_idx" ON "capacity_windows" USING btree ("coop_id","period");--> statement-breakpoint
CREATE POLICY "allocation_outcomes_system_all" ON "allocation_outcomes" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "allocation_outcomes_coop_admin" ON "allocation_outcomes" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "allocation_outcomes_own_creator" ON "allocation_outcomes" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "allocation_runs_system_all" ON "allocation_runs" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "allocation_runs_coop_admin" ON "allocation_runs" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "allocations_system_all" ON "allocations" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "allocations_coop_admin" ON "allocations" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "allocations_own_creator" ON "allocations" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "allocations_factory_operator" ON "allocations" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'factory_operator' and factory_id = nullif(current_setting('kiln.factory_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "capacity_requests_system_all" ON "capacity_requests" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "capacity_requests_coop_admin" ON "capacity_requests" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "capacity_requests_own_creator" ON "capacity_requests" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff')) WITH CHECK (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "capacity_windows_system_all" ON "capacity_windows" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "capacity_windows_coop_admin" ON "capacity_windows" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "capacity_windows_coop_read" ON "capacity_windows" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "capacity_windows_factory_operator" ON "capacity_windows" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'factory_operator' and factory_id = nullif(current_setting('kiln.factory_id', true), '')::uuid);