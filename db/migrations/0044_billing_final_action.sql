CREATE TYPE "public"."billing_final_action" AS ENUM('cancel', 'mark_unpaid');--> statement-breakpoint
ALTER TABLE "billing_settings" ADD COLUMN "final_action" "billing_final_action" DEFAULT 'cancel' NOT NULL;
