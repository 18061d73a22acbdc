-- The capacity pool's tables (0006) are held to their policies even for the owning role.
ALTER TABLE "capacity_windows" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "capacity_requests" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "allocation_runs" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "allocations" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "allocation_outcomes" FORCE ROW LEVEL SECURITY;
