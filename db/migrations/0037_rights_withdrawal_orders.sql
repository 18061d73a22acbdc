ALTER TABLE "withdrawals" DROP CONSTRAINT "withdrawals_matched_tenant";--> statement-breakpoint
ALTER TABLE "withdrawals" ADD COLUMN "order_id" uuid;--> statement-breakpoint
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "withdrawals_accepted_order_key" ON "withdrawals" USING btree ("order_id") WHERE "withdrawals"."outcome" = 'accepted';--> statement-breakpoint
ALTER TABLE "withdrawals" ADD CONSTRAINT "withdrawals_matched_tenant" CHECK (("withdrawals"."subscription_id" is null and "withdrawals"."order_id" is null) or "withdrawals"."coop_id" is not null);