-- Hot-drop waiting rooms (issue 8 §6): RLS forced like every other table (tests/tenancy/cross-tenant.test.ts).
ALTER TABLE "drop_queue" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "drop_queue_seals" FORCE ROW LEVEL SECURITY;
