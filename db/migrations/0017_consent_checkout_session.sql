ALTER TABLE "consents" ADD COLUMN "checkout_session_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "consents_checkout_session_key" ON "consents" USING btree ("checkout_session_id");