ALTER TABLE "subscriptions" ADD COLUMN "final_action" "billing_final_action";--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "final_action_claimed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD COLUMN "final_action_at" timestamp with time zone;