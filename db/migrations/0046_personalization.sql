CREATE TABLE "offer_exposure_items" (
	"exposure_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"drop_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"server_features" real[] NOT NULL,
	CONSTRAINT "offer_exposure_items_exposure_id_position_pk" PRIMARY KEY("exposure_id","position"),
	CONSTRAINT "offer_exposure_items_position" CHECK ("offer_exposure_items"."position" >= 0)
);
--> statement-breakpoint
ALTER TABLE "offer_exposure_items" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "offer_exposures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"experiment_key" text NOT NULL,
	"assigned_arm" text NOT NULL,
	"served_arm" text NOT NULL,
	"fallback_reason" text,
	"model_version" text,
	"shown_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "offer_exposures_assigned_arm" CHECK (assigned_arm in ('device', 'server', 'holdout')),
	CONSTRAINT "offer_exposures_served_arm" CHECK (served_arm in ('device', 'server', 'holdout'))
);
--> statement-breakpoint
ALTER TABLE "offer_exposures" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "offer_models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"version" text NOT NULL,
	"feature_spec" text NOT NULL,
	"onnx" "bytea" NOT NULL,
	"sha256" text NOT NULL,
	"card" jsonb NOT NULL,
	"status" text DEFAULT 'candidate' NOT NULL,
	"trained_at" timestamp with time zone NOT NULL,
	"activated_at" timestamp with time zone,
	"activated_by" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "offer_models_status" CHECK ("offer_models"."status" in ('candidate', 'active', 'retired')),
	CONSTRAINT "offer_models_sha256" CHECK ("offer_models"."sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
ALTER TABLE "offer_models" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "personalization_consents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid,
	"member_user_id" uuid NOT NULL,
	"granted_at" timestamp with time zone NOT NULL,
	"withdrawn_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "personalization_consents_withdrawn_after" CHECK ("personalization_consents"."withdrawn_at" is null or "personalization_consents"."withdrawn_at" >= "personalization_consents"."granted_at")
);
--> statement-breakpoint
ALTER TABLE "personalization_consents" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "product_view_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"dwell_ms" integer NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "product_view_events_dwell" CHECK ("product_view_events"."dwell_ms" between 0 and 86400000)
);
--> statement-breakpoint
ALTER TABLE "product_view_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "offer_exposure_items" ADD CONSTRAINT "offer_exposure_items_exposure_id_offer_exposures_id_fk" FOREIGN KEY ("exposure_id") REFERENCES "public"."offer_exposures"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposure_items" ADD CONSTRAINT "offer_exposure_items_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposure_items" ADD CONSTRAINT "offer_exposure_items_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposure_items" ADD CONSTRAINT "offer_exposure_items_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposure_items" ADD CONSTRAINT "offer_exposure_items_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposure_items" ADD CONSTRAINT "offer_exposure_items_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposures" ADD CONSTRAINT "offer_exposures_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposures" ADD CONSTRAINT "offer_exposures_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_exposures" ADD CONSTRAINT "offer_exposures_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_models" ADD CONSTRAINT "offer_models_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "offer_models" ADD CONSTRAINT "offer_models_activated_by_users_id_fk" FOREIGN KEY ("activated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personalization_consents" ADD CONSTRAINT "personalization_consents_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personalization_consents" ADD CONSTRAINT "personalization_consents_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "personalization_consents" ADD CONSTRAINT "personalization_consents_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "product_view_events" ADD CONSTRAINT "product_view_events_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "product_view_events" ADD CONSTRAINT "product_view_events_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "product_view_events" ADD CONSTRAINT "product_view_events_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "product_view_events" ADD CONSTRAINT "product_view_events_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "offer_exposure_items_product_idx" ON "offer_exposure_items" USING btree ("coop_id","product_id");--> statement-breakpoint
CREATE INDEX "offer_exposures_creator_idx" ON "offer_exposures" USING btree ("coop_id","creator_id","shown_at");--> statement-breakpoint
CREATE INDEX "offer_exposures_member_idx" ON "offer_exposures" USING btree ("member_user_id","shown_at");--> statement-breakpoint
CREATE INDEX "offer_exposures_experiment_idx" ON "offer_exposures" USING btree ("coop_id","experiment_key","assigned_arm");--> statement-breakpoint
CREATE UNIQUE INDEX "offer_models_coop_version_key" ON "offer_models" USING btree ("coop_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "offer_models_one_active_key" ON "offer_models" USING btree ("coop_id") WHERE "offer_models"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "personalization_consents_standing_key" ON "personalization_consents" USING btree ("member_user_id","coop_id",coalesce("creator_id", '00000000-0000-0000-0000-000000000000'::uuid)) WHERE "personalization_consents"."withdrawn_at" is null;--> statement-breakpoint
CREATE INDEX "product_view_events_member_idx" ON "product_view_events" USING btree ("coop_id","member_user_id","occurred_at");--> statement-breakpoint
CREATE POLICY "offer_exposure_items_system_all" ON "offer_exposure_items" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "offer_exposure_items_member_read" ON "offer_exposure_items" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "offer_exposure_items_creator_read" ON "offer_exposure_items" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "offer_exposures_system_all" ON "offer_exposures" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "offer_exposures_member_read" ON "offer_exposures" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "offer_exposures_creator_read" ON "offer_exposures" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "offer_models_system_all" ON "offer_models" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "offer_models_coop_admin" ON "offer_models" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin') WITH CHECK (coop_id = kiln_coop_id() and kiln_role() = 'coop_admin');--> statement-breakpoint
CREATE POLICY "offer_models_coop_read" ON "offer_models" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "personalization_consents_system_all" ON "personalization_consents" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "personalization_consents_owner" ON "personalization_consents" AS PERMISSIVE FOR ALL TO "kiln_app" USING (member_user_id = kiln_user_id()) WITH CHECK (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "personalization_consents_creator_read" ON "personalization_consents" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "product_view_events_system_all" ON "product_view_events" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "product_view_events_member_read" ON "product_view_events" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "product_view_events_member_delete" ON "product_view_events" AS PERMISSIVE FOR DELETE TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "product_view_events_member_insert" ON "product_view_events" AS PERMISSIVE FOR INSERT TO "kiln_app" WITH CHECK (member_user_id = kiln_user_id() and exists (select 1 from personalization_consents pc
        where pc.member_user_id = kiln_user_id() and pc.coop_id = product_view_events.coop_id
          and (pc.creator_id is null or pc.creator_id = product_view_events.creator_id) and pc.withdrawn_at is null));--> statement-breakpoint
CREATE POLICY "product_view_events_creator_read" ON "product_view_events" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));