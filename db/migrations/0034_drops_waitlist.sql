CREATE TABLE "drop_waitlist" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"drop_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"status" text DEFAULT 'waiting' NOT NULL,
	"claim_id" uuid,
	"offered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "drop_waitlist_status" CHECK ("drop_waitlist"."status" in ('waiting', 'offered', 'lapsed', 'left')),
	CONSTRAINT "drop_waitlist_offer_claim" CHECK (("drop_waitlist"."status" = 'offered') = ("drop_waitlist"."claim_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "drop_waitlist" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "drop_waitlist" ADD CONSTRAINT "drop_waitlist_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_waitlist" ADD CONSTRAINT "drop_waitlist_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_waitlist" ADD CONSTRAINT "drop_waitlist_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_waitlist" ADD CONSTRAINT "drop_waitlist_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_waitlist" ADD CONSTRAINT "drop_waitlist_claim_id_drop_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."drop_claims"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drop_waitlist_member_waiting_key" ON "drop_waitlist" USING btree ("drop_id","member_user_id") WHERE "drop_waitlist"."status" = 'waiting';--> statement-breakpoint
CREATE INDEX "drop_waitlist_queue_idx" ON "drop_waitlist" USING btree ("drop_id","created_at","id") WHERE "drop_waitlist"."status" = 'waiting';--> statement-breakpoint
CREATE POLICY "drop_waitlist_system_all" ON "drop_waitlist" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "drop_waitlist_creator_read" ON "drop_waitlist" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "drop_waitlist_member_read" ON "drop_waitlist" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());