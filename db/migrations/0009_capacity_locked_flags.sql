ALTER TABLE "allocation_outcomes" ADD COLUMN "is_locked" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "allocations" ADD COLUMN "is_locked" boolean DEFAULT false NOT NULL;