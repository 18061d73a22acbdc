CREATE TABLE "billing_disputes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"subscription_id" uuid,
	"stripe_account_id" text NOT NULL,
	"stripe_dispute_id" text NOT NULL,
	"stripe_charge_id" text NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"last_event_created" bigint,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "billing_disputes_amount" CHECK ("billing_disputes"."amount_minor" >= 0)
);
--> statement-breakpoint
ALTER TABLE "billing_disputes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "billing_reconciliations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"trigger" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"finished_at" timestamp with time zone,
	"checked" integer DEFAULT 0 NOT NULL,
	"repaired" integer DEFAULT 0 NOT NULL,
	"differences" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"cursors" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	CONSTRAINT "billing_reconciliations_trigger" CHECK ("billing_reconciliations"."trigger" in ('scheduled', 'manual'))
);
--> statement-breakpoint
ALTER TABLE "billing_reconciliations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "billing_disputes" ADD CONSTRAINT "billing_disputes_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_disputes" ADD CONSTRAINT "billing_disputes_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_disputes" ADD CONSTRAINT "billing_disputes_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_reconciliations" ADD CONSTRAINT "billing_reconciliations_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "billing_disputes_stripe_key" ON "billing_disputes" USING btree ("stripe_account_id","stripe_dispute_id");--> statement-breakpoint
CREATE INDEX "billing_disputes_creator_idx" ON "billing_disputes" USING btree ("coop_id","creator_id");--> statement-breakpoint
CREATE INDEX "billing_reconciliations_coop_idx" ON "billing_reconciliations" USING btree ("coop_id","started_at");--> statement-breakpoint
CREATE POLICY "billing_disputes_system_all" ON "billing_disputes" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "billing_disputes_own_creator" ON "billing_disputes" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "billing_disputes_coop_read" ON "billing_disputes" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin'));--> statement-breakpoint
CREATE POLICY "billing_reconciliations_system_all" ON "billing_reconciliations" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "billing_reconciliations_coop_read" ON "billing_reconciliations" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin'));