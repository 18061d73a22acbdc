-- RLS is FORCED on every table, so even the owning role is held to the policies. Every later
-- migration that adds a table must FORCE it too: tests/tenancy/rls-coverage.test.ts fails otherwise.
ALTER TABLE "coops" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "creators" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "factories" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "role_assignments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "invitations" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sessions" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "api_tokens" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "user_tokens" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "rate_limits" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_log" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_personal_data" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "email_outbox" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- The audit chain is append-only for the application: insert and read, never rewrite.
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_log" FROM kiln_app, kiln_system;
--> statement-breakpoint
-- Personal data beside the chain: the app inserts and reads; only the system context erases (UPDATE).
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_personal_data" FROM kiln_app;
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON "audit_personal_data" FROM kiln_system;
--> statement-breakpoint
-- Rate-limit counters and sessions are system-context only; the app role never needs them directly.
REVOKE ALL ON "rate_limits" FROM kiln_app;
