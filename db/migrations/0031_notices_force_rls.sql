-- Notices and price changes (issue 6 item 3, issue 5 item 5): RLS forced like every other table
-- (tests/tenancy/cross-tenant.test.ts). Rows are records of what was sent and applied: the
-- application only advances their status, it never deletes them.
ALTER TABLE "notices" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "price_changes" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "notices" FROM kiln_app, kiln_system;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "price_changes" FROM kiln_app, kiln_system;
