ALTER TABLE "orders" DROP CONSTRAINT "orders_status";--> statement-breakpoint
ALTER TABLE "refunds" ALTER COLUMN "withdrawal_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "original_ship_by" date;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "ship_by_revised_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "refunds" ADD COLUMN "order_id" uuid;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_cancelled_order_key" ON "refunds" USING btree ("order_id") WHERE "refunds"."withdrawal_id" is null;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_cancelled_before_shipping" CHECK ("orders"."cancelled_at" is null or "orders"."shipped_at" is null);--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_status" CHECK ("orders"."status" in ('placed', 'produced', 'shipped', 'delivered', 'returned', 'cancelled'));--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_reason" CHECK ("refunds"."withdrawal_id" is not null or "refunds"."order_id" is not null);