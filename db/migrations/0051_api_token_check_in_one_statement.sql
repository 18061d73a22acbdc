-- An API token check in one statement (docs/decisions/019): validateApiToken (packages/auth) looked the
-- token up and touched last_used_at in a withSystem transaction, five round-trips before every API
-- request's real work. This SECURITY DEFINER function owned by kiln_system (RLS still applies through
-- the system_all policies) does the same in one: the token by its SHA-256 hash with its user's session
-- columns (never the password hash), nothing when unknown, revoked or expired, and last_used_at set to
-- p_now when it is older than the touch interval.
CREATE FUNCTION kiln_check_api_token(p_token_hash text, p_now timestamptz, p_touch_interval_ms integer)
RETURNS TABLE (
  token_id uuid,
  scopes text[],
  user_id uuid,
  email text,
  display_name text,
  locale text,
  country text,
  us_state text,
  email_verified_at timestamptz
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
  v record;
BEGIN
  SELECT t.id AS tid, t.scopes AS tscopes, t.expires_at, t.revoked_at, t.last_used_at, u.id AS uid, u.email AS uemail,
    u.display_name AS uname, u.locale AS ulocale, u.country AS ucountry, u.us_state AS ustate,
    u.email_verified_at AS uverified
  INTO v
  FROM api_tokens t JOIN users u ON u.id = t.user_id
  WHERE t.token_hash = p_token_hash;
  IF NOT FOUND OR v.revoked_at IS NOT NULL OR (v.expires_at IS NOT NULL AND v.expires_at <= p_now) THEN
    RETURN;
  END IF;
  IF v.last_used_at IS NULL OR p_now - v.last_used_at >= make_interval(secs => p_touch_interval_ms / 1000.0) THEN
    UPDATE api_tokens SET last_used_at = p_now WHERE api_tokens.id = v.tid;
  END IF;
  token_id := v.tid;
  scopes := v.tscopes;
  user_id := v.uid;
  email := v.uemail;
  display_name := v.uname;
  locale := v.ulocale;
  country := v.ucountry;
  us_state := v.ustate;
  email_verified_at := v.uverified;
  RETURN NEXT;
END
$$;
--> statement-breakpoint
ALTER FUNCTION kiln_check_api_token(text, timestamptz, integer) OWNER TO kiln_system;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kiln_check_api_token(text, timestamptz, integer) FROM PUBLIC;
--> statement-breakpoint
DO $$ BEGIN
  EXECUTE format('GRANT EXECUTE ON FUNCTION kiln_check_api_token(text, timestamptz, integer) TO %I', current_user);
END $$;
