CREATE TABLE "drop_queue" (
	"drop_id" uuid NOT NULL,
	"member_user_id" uuid NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"seq" integer GENERATED ALWAYS AS IDENTITY (sequence name "drop_queue_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"early" boolean NOT NULL,
	"position" integer,
	"token_hash" text,
	"token_issued_at" timestamp with time zone,
	"token_used_at" timestamp with time zone,
	"claim_id" uuid,
	"entered_at" timestamp with time zone DEFAULT kiln_now() NOT NULL,
	CONSTRAINT "drop_queue_drop_id_member_user_id_pk" PRIMARY KEY("drop_id","member_user_id")
);
--> statement-breakpoint
ALTER TABLE "drop_queue" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "drop_queue_seals" (
	"drop_id" uuid PRIMARY KEY NOT NULL,
	"coop_id" uuid NOT NULL,
	"creator_id" uuid NOT NULL,
	"seed" text NOT NULL,
	"early_count" integer NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "drop_queue_seals" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "drops" ADD COLUMN "is_hot" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "drop_queue" ADD CONSTRAINT "drop_queue_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_queue" ADD CONSTRAINT "drop_queue_member_user_id_users_id_fk" FOREIGN KEY ("member_user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_queue" ADD CONSTRAINT "drop_queue_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_queue" ADD CONSTRAINT "drop_queue_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_queue" ADD CONSTRAINT "drop_queue_claim_id_drop_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."drop_claims"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_queue_seals" ADD CONSTRAINT "drop_queue_seals_drop_id_drops_id_fk" FOREIGN KEY ("drop_id") REFERENCES "public"."drops"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_queue_seals" ADD CONSTRAINT "drop_queue_seals_coop_id_coops_id_fk" FOREIGN KEY ("coop_id") REFERENCES "public"."coops"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drop_queue_seals" ADD CONSTRAINT "drop_queue_seals_creator_id_creators_id_fk" FOREIGN KEY ("creator_id") REFERENCES "public"."creators"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "drop_queue_order_idx" ON "drop_queue" USING btree ("drop_id","early","seq");--> statement-breakpoint
CREATE POLICY "drop_queue_system_all" ON "drop_queue" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);--> statement-breakpoint
CREATE POLICY "drop_queue_creator_read" ON "drop_queue" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (coop_id = kiln_coop_id() and (kiln_creator_id() is null or creator_id = kiln_creator_id()));--> statement-breakpoint
CREATE POLICY "drop_queue_member_read" ON "drop_queue" AS PERMISSIVE FOR SELECT TO "kiln_app" USING (member_user_id = kiln_user_id());--> statement-breakpoint
CREATE POLICY "drop_queue_seals_system_all" ON "drop_queue_seals" AS PERMISSIVE FOR ALL TO "kiln_system" USING (true) WITH CHECK (true);