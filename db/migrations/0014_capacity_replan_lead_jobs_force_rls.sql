-- Capacity settings and allocation jobs (issue 7) are held to their policies even for the owning role.
ALTER TABLE "capacity_settings" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "allocation_jobs" FORCE ROW LEVEL SECURITY;
