-- Roles, tenant-context functions and the clock. Hand-written (drizzle-kit generate --custom);
-- every later migration may rely on them. Idempotent where the objects are cluster-wide (roles).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kiln_app') THEN
    CREATE ROLE kiln_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kiln_system') THEN
    CREATE ROLE kiln_system NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;
--> statement-breakpoint
-- The login user (owner of the schema) must be able to SET LOCAL ROLE to both.
DO $$
BEGIN
  EXECUTE format('GRANT kiln_app, kiln_system TO %I', current_user);
EXCEPTION WHEN insufficient_privilege OR invalid_grant_operation THEN
  RAISE NOTICE 'could not grant kiln roles to %: grant them by hand', current_user;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO kiln_app, kiln_system;
--> statement-breakpoint
-- Tables created later by the same owner are usable by both roles; RLS decides which rows.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kiln_app, kiln_system;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO kiln_app, kiln_system;
--> statement-breakpoint
-- The tenant context: transaction-local settings written by withTenant / withSystem (db/src/tenant.ts).
CREATE OR REPLACE FUNCTION kiln_user_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('kiln.user_id', true), '')::uuid $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION kiln_coop_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('kiln.coop_id', true), '')::uuid $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION kiln_creator_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('kiln.creator_id', true), '')::uuid $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION kiln_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('kiln.role', true), '') $$;
--> statement-breakpoint
-- The clock: the time the application's injectable clock gave the transaction, else now().
CREATE OR REPLACE FUNCTION kiln_now() RETURNS timestamptz LANGUAGE sql STABLE AS
$$ SELECT coalesce(nullif(current_setting('kiln.now', true), '')::timestamptz, now()) $$;
