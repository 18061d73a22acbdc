CREATE TABLE "drop_claims" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"drop_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"status" text DEFAULT 'reserved' NOT NULL,
	"taken_from" jsonb NOT NULL,
	"idempotency_key" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"confirmed_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "drop_claims_quantity_positive" CHECK ("drop_claims"."quantity" >= 1),
	CONSTRAINT "drop_claims_status" CHECK ("drop_claims"."status" in ('reserved', 'confirmed', 'expired', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "drop_claims" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "drop_member_counters" (
	"drop_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"taken" integer NOT NULL,
	CONSTRAINT "drop_member_counters_drop_id_member_user_id_pk" PRIMARY KEY("drop_id","member_user_id"),
	CONSTRAINT "drop_member_counters_taken_nonnegative" CHECK ("drop_member_counters"."taken" >= 0)
);
--> statement-breakpoint
ALTER TABLE "drop_member_counters" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "drop_stock" (
	"drop_id" uuid NOT NULL,
	"bucket" integer NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"remaining" integer NOT NULL,
	CONSTRAINT "drop_stock_drop_id_bucket_pk" PRIMARY KEY("drop_id","bucket"),
	CONSTRAINT "drop_stock_remaining_nonnegative" CHECK ("drop_stock"."remaining" >= 0)
);
--> statement-breakpoint
ALTER TABLE "drop_stock" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "drops" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"title" text NOT NULL,
	"quantity" integer NOT NULL,
	"capability" text NOT NULL,
	"period" text NOT NULL,
	"ship_by" date,
	"opens_at" timestamp with time zone NOT NULL,
	"closes_at" timestamp with time zone,
	"tier_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"early_access_tier_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"early_access_at" timestamp with time zone,
	"per_member_limit" integer DEFAULT 1 NOT NULL,
	"hold_minutes" integer DEFAULT 10 NOT NULL,
	"bucket_count" integer DEFAULT 1 NOT NULL,
	"is_published" boolean DEFAULT false NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "drops_quantity_positive" CHECK ("drops"."quantity" >= 1),
	CONSTRAINT "drops_limit_positive" CHECK ("drops"."per_member_limit" >= 1),
	CONSTRAINT "drops_hold_minutes" CHECK ("drops"."hold_minutes" between 1 and 120),
	CONSTRAINT "drops_bucket_count" CHECK ("drops"."bucket_count" between 1 and 64),
	CONSTRAINT "drops_closes_after_opens" CHECK ("drops"."closes_at" is null or "drops"."closes_at" > "drops"."opens_at"),
	CONSTRAINT "drops_early_before_opens" CHECK ("drops"."early_access_at" is null or "drops"."early_access_at" < "drops"."opens_at"),
	CONSTRAINT "drops_period_iso_week" CHECK ("drops"."period" ~ '^[0-9]{4}-W[0-9]{2}$')
);
--> statement-breakpoint
ALTER TABLE "drops" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "products" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"price_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"capability" text NOT NULL,
	"capacity_units_per_item" integer DEFAULT 1 NOT NULL,
	"sku" text NOT NULL,
	"withdrawal_exemption_reason" text,
	"is_published" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "products_price_nonnegative" CHECK ("products"."price_minor" >= 0),
	CONSTRAINT "products_currency_iso" CHECK ("products"."currency" ~ '^[A-Z]{3}$'),
	CONSTRAINT "products_units_positive" CHECK ("products"."capacity_units_per_item" >= 1)
);
--> statement-breakpoint
ALTER TABLE "products" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "drop_claims" ADD CONSTRAINT "drop_claims_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_claims" ADD CONSTRAINT "drop_claims_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_claims" ADD CONSTRAINT "drop_claims_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_claims" ADD CONSTRAINT "drop_claims_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_member_counters" ADD CONSTRAINT "drop_member_counters_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_member_counters" ADD CONSTRAINT "drop_member_counters_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_member_counters" ADD CONSTRAINT "drop_member_counters_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_member_counters" ADD CONSTRAINT "drop_member_counters_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_stock" ADD CONSTRAINT "drop_stock_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_stock" ADD CONSTRAINT "drop_stock_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_stock" ADD CONSTRAINT "drop_stock_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drops" ADD CONSTRAINT "drops_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drops" ADD CONSTRAINT "drops_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drops" ADD CONSTRAINT "drops_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drop_claims_member_idempotency_key" ON "drop_claims" USING btree ("member_user_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "drop_claims_drop_idx" ON "drop_claims" USING btree ("drop_id","status");--> statement-breakpoint
CREATE INDEX "drop_claims_reserved_expiry_idx" ON "drop_claims" USING btree ("expires_at") WHERE "drop_claims"."status" = 'reserved';--> statement-breakpoint
CREATE INDEX "drops_creator_idx" ON "drops" USING btree ("coop_id","creator_id","opens_at");--> statement-breakpoint
CREATE INDEX "drops_allocation_idx" ON "drops" USING btree ("creator_id","capability","period");--> statement-breakpoint
CREATE UNIQUE INDEX "products_creator_sku_key" ON "products" USING btree ("creator_id","sku");--> statement-breakpoint
CREATE INDEX "products_coop_creator_idx" ON "products" USING btree ("coop_id","creator_id");--> statement-breakpoint
CREATE POLICY "drop_claims_system_all" ON "drop_claims" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "drop_claims_creator_read" ON "drop_claims" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "drop_claims_member_read" ON "drop_claims" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "drop_member_counters_system_all" ON "drop_member_counters" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "drop_member_counters_creator_read" ON "drop_member_counters" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "drop_stock_system_all" ON "drop_stock" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "drop_stock_creator_read" ON "drop_stock" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "drops_system_all" ON "drops" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "drops_creator" ON "drops" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())) WITH CHECK (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "drops_public_read" ON "drops" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (is_published);--> statement-breakpoint
CREATE POLICY "products_system_all" ON "products" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "products_creator" ON "products" AS PERMISSIVE FOR ALL TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id())) WITH CHECK (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "products_public_read" ON "products" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (is_published);