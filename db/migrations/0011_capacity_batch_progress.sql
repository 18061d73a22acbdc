CREATE TABLE "batch_progress" (
	"allocation_id" uuid PRIMARY KEY NOT NULL,
	"coop_id" uuid NOT NULL,
	"factory_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"started_at" timestamp with time zone,
	"shipped_at" timestamp with time zone,
	"updated_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "batch_progress_shipped_after_start" CHECK ("batch_progress"."shipped_at" is null or "batch_progress"."started_at" is not null)
);
--> statement-breakpoint
ALTER TABLE "batch_progress" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "batch_progress" ADD CONSTRAINT "batch_progress_allocation_id_allocations_id_fk" FOREIGN KEY ("allocation_id") REFERENCES "public"."allocations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_progress" ADD CONSTRAINT "batch_progress_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_progress" ADD CONSTRAINT "batch_progress_factory_id_factories_id_fk" FOREIGN KEY ("factory_id") REFERENCES "public"."factories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_progress" ADD CONSTRAINT "batch_progress_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "batch_progress_factory_idx" ON "batch_progress" USING btree ("factory_id");--> statement-breakpoint
CREATE POLICY "batch_progress_system_all" ON "batch_progress" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "batch_progress_coop_admin" ON "batch_progress" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "batch_progress_factory_operator_write" ON "batch_progress" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'factory_operator' and factory_id = nullif(current_setting('kiln.factory_id', true), '')::uuid) WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'factory_operator' and factory_id = nullif(current_setting('kiln.factory_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "batch_progress_own_creator" ON "batch_progress" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));