CREATE TABLE "cancellations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"declaration_id" uuid NOT NULL,
	"submission_key" text NOT NULL,
	"coop_id" uuid,
	"creator_id" uuid,
	"member_user_id" uuid,
	"subscription_id" uuid,
	"kind" text NOT NULL,
	"reason" text,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"contract_ref" text,
	"creator_slug" text,
	"requested_end_date" date,
	"ends_at" timestamp with time zone,
	"statement" text NOT NULL,
	"locale" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"receipt_hash" text NOT NULL,
	"stripe_applied_at" timestamp with time zone,
	"confirmation_sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "cancellations_kind" CHECK ("cancellations"."kind" in ('ordinary', 'extraordinary')),
	CONSTRAINT "cancellations_reason" CHECK ("cancellations"."kind" = 'ordinary' or length(btrim(coalesce("cancellations"."reason", ''))) > 0),
	CONSTRAINT "cancellations_matched_tenant" CHECK ("cancellations"."subscription_id" is null or "cancellations"."coop_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "cancellations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"withdrawal_id" uuid NOT NULL,
	"subscription_id" uuid,
	"paid_minor" integer NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"basis" text NOT NULL,
	"due_by" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'due' NOT NULL,
	"stripe_account_id" text NOT NULL,
	"stripe_payment_intent_id" text,
	"stripe_refund_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"refunded_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "refunds_amount" CHECK ("refunds"."amount_minor" >= 0 and "refunds"."amount_minor" <= "refunds"."paid_minor"),
	CONSTRAINT "refunds_currency" CHECK ("refunds"."currency" ~ '^[a-z]{3}$'),
	CONSTRAINT "refunds_status" CHECK ("refunds"."status" in ('due', 'refunded', 'failed')),
	CONSTRAINT "refunds_basis" CHECK ("refunds"."basis" in ('full', 'pro_rata'))
);
--> statement-breakpoint
ALTER TABLE "refunds" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "withdrawals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"submission_key" text NOT NULL,
	"coop_id" uuid,
	"creator_id" uuid,
	"member_user_id" uuid,
	"subscription_id" uuid,
	"order_ref" text NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"contract_kind" text,
	"outcome" text NOT NULL,
	"deadline_at" timestamp with time zone,
	"extended" boolean DEFAULT false NOT NULL,
	"statement" text NOT NULL,
	"locale" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"receipt_hash" text NOT NULL,
	"stripe_canceled_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "withdrawals_outcome" CHECK ("withdrawals"."outcome" in ('accepted', 'out_of_window', 'unmatched')),
	CONSTRAINT "withdrawals_matched_tenant" CHECK ("withdrawals"."subscription_id" is null or "withdrawals"."coop_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "withdrawals" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "cancellations" ADD CONSTRAINT "cancellations_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cancellations" ADD CONSTRAINT "cancellations_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cancellations" ADD CONSTRAINT "cancellations_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cancellations" ADD CONSTRAINT "cancellations_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_withdrawal_id_withdrawals_id_fk" FOREIGN KEY ("withdrawal_id") REFERENCES "public"."withdrawals"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "cancellations_declaration_idx" ON "cancellations" USING btree ("declaration_id");--> statement-breakpoint
CREATE INDEX "cancellations_submission_idx" ON "cancellations" USING btree ("submission_key");--> statement-breakpoint
CREATE INDEX "cancellations_receipt_idx" ON "cancellations" USING btree ("receipt_hash");--> statement-breakpoint
CREATE INDEX "cancellations_subscription_idx" ON "cancellations" USING btree ("subscription_id");--> statement-breakpoint
CREATE INDEX "cancellations_creator_idx" ON "cancellations" USING btree ("coop_id","creator_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_withdrawal_key" ON "refunds" USING btree ("withdrawal_id");--> statement-breakpoint
CREATE INDEX "refunds_due_idx" ON "refunds" USING btree ("status","due_by");--> statement-breakpoint
CREATE INDEX "refunds_creator_idx" ON "refunds" USING btree ("coop_id","creator_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "withdrawals_submission_key" ON "withdrawals" USING btree ("submission_key");--> statement-breakpoint
CREATE INDEX "withdrawals_receipt_idx" ON "withdrawals" USING btree ("receipt_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "withdrawals_accepted_key" ON "withdrawals" USING btree ("subscription_id") WHERE "withdrawals"."outcome" = 'accepted';--> statement-breakpoint
CREATE INDEX "withdrawals_creator_idx" ON "withdrawals" USING btree ("coop_id","creator_id","received_at");--> statement-breakpoint
CREATE POLICY "cancellations_system_all" ON "cancellations" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "cancellations_member_read" ON "cancellations" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "cancellations_own_creator" ON "cancellations" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "cancellations_coop_read" ON "cancellations" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer'));--> statement-breakpoint
CREATE POLICY "refunds_system_all" ON "refunds" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "refunds_member_read" ON "refunds" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "refunds_own_creator" ON "refunds" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "refunds_coop_read" ON "refunds" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer'));--> statement-breakpoint
CREATE POLICY "withdrawals_system_all" ON "withdrawals" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "withdrawals_member_read" ON "withdrawals" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "withdrawals_own_creator" ON "withdrawals" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_creator_id() is not null and creator_id = kiln_creator_id() and kiln_role() in ('creator_owner', 'creator_staff'));--> statement-breakpoint
CREATE POLICY "withdrawals_coop_read" ON "withdrawals" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and kiln_role() in ('coop_admin', 'compliance_reviewer'));