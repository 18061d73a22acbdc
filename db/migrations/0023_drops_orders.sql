CREATE TABLE "drop_payments" (
	"claim_id" uuid PRIMARY KEY NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"status" text DEFAULT 'authorising' NOT NULL,
	"stripe_account_id" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"stripe_payment_intent_id" text,
	"currency" text NOT NULL,
	"items_minor" integer NOT NULL,
	"delivery_minor" integer NOT NULL,
	"total_minor" integer NOT NULL,
	"application_fee_minor" integer NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"disclosure_text" text NOT NULL,
	"button_label" text NOT NULL,
	"locale" text NOT NULL,
	"failure_message" text,
	"authorised_at" timestamp with time zone,
	"captured_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "drop_payments_status" CHECK ("drop_payments"."status" in ('authorising', 'requires_action', 'authorised', 'capturing', 'captured', 'cancelled', 'failed')),
	CONSTRAINT "drop_payments_total" CHECK ("drop_payments"."total_minor" = "drop_payments"."items_minor" + "drop_payments"."delivery_minor"),
	CONSTRAINT "drop_payments_fee" CHECK ("drop_payments"."application_fee_minor" between 0 and "drop_payments"."total_minor")
);
--> statement-breakpoint
ALTER TABLE "drop_payments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"claim_id" uuid NOT NULL,
	"drop_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"factory_id" uuid NOT NULL,
	"allocation_id" uuid,
	"quantity" integer NOT NULL,
	"currency" text NOT NULL,
	"items_minor" integer NOT NULL,
	"delivery_minor" integer NOT NULL,
	"total_minor" integer NOT NULL,
	"shipping_address" jsonb NOT NULL,
	"stripe_payment_intent_id" text NOT NULL,
	"withdrawal_exemption_reason" text,
	"ship_by" date,
	"status" text DEFAULT 'placed' NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"produced_at" timestamp with time zone,
	"shipped_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"returned_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "orders_status" CHECK ("orders"."status" in ('placed', 'produced', 'shipped', 'delivered', 'returned')),
	CONSTRAINT "orders_quantity_positive" CHECK ("orders"."quantity" >= 1),
	CONSTRAINT "orders_total" CHECK ("orders"."total_minor" = "orders"."items_minor" + "orders"."delivery_minor"),
	CONSTRAINT "orders_shipped_after_produced" CHECK ("orders"."shipped_at" is null or "orders"."produced_at" is not null),
	CONSTRAINT "orders_delivered_after_shipped" CHECK ("orders"."delivered_at" is null or "orders"."shipped_at" is not null)
);
--> statement-breakpoint
ALTER TABLE "orders" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "delivery_minor" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drop_payments" ADD CONSTRAINT "drop_payments_claim_id_drop_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."drop_claims"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_payments" ADD CONSTRAINT "drop_payments_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_payments" ADD CONSTRAINT "drop_payments_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_payments" ADD CONSTRAINT "drop_payments_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_claim_id_drop_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."drop_claims"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_factory_id_factories_id_fk" FOREIGN KEY ("factory_id") REFERENCES "public"."factories"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_allocation_id_allocations_id_fk" FOREIGN KEY ("allocation_id") REFERENCES "public"."allocations"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drop_payments_intent_key" ON "drop_payments" USING btree ("stripe_payment_intent_id");--> statement-breakpoint
CREATE INDEX "drop_payments_open_idx" ON "drop_payments" USING btree ("status","updated_at") WHERE "drop_payments"."status" in ('authorising', 'requires_action', 'authorised', 'capturing');--> statement-breakpoint
CREATE UNIQUE INDEX "orders_claim_key" ON "orders" USING btree ("claim_id");--> statement-breakpoint
CREATE INDEX "orders_member_idx" ON "orders" USING btree ("member_user_id","placed_at");--> statement-breakpoint
CREATE INDEX "orders_factory_idx" ON "orders" USING btree ("factory_id","status");--> statement-breakpoint
CREATE INDEX "orders_creator_idx" ON "orders" USING btree ("coop_id","creator_id","placed_at");--> statement-breakpoint
ALTER TABLE "products" ADD CONSTRAINT "products_delivery_nonnegative" CHECK ("products"."delivery_minor" >= 0);--> statement-breakpoint
CREATE POLICY "drop_payments_system_all" ON "drop_payments" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "drop_payments_creator_read" ON "drop_payments" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "drop_payments_member_read" ON "drop_payments" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "orders_system_all" ON "orders" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "orders_creator_read" ON "orders" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "orders_member_read" ON "orders" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "orders_factory_operator" ON "orders" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() = 'factory_operator' and factory_id = nullif(current_setting('kiln.factory_id', true), '')::uuid);