-- A claim with an API token in one statement (docs/decisions/025): the JSON API's claim route checked
-- the bearer token (kiln_check_api_token) and then claimed (kiln_claim_drop): two statements and two
-- round trips for every claim. This SECURITY DEFINER function owned by kiln_system does both in one:
-- the token by kiln_check_api_token's rules (unknown, revoked and expired tokens have no row; last_used_at
-- touched when older than the interval), its scope, then kiln_claim_drop for the token's user, whose
-- start bucket is the first 32 bits of their id as claims.ts's bucketSeed takes it. A wrong token raises
-- 'KILN_CLAIM:UNAUTHENTICATED', a token without the scope 'KILN_CLAIM:FORBIDDEN'; the rest are
-- kiln_claim_drop's. Any refusal rolls the touch back with everything else: the app touches again then.
CREATE FUNCTION kiln_claim_drop_with_token(
  p_token_hash text,
  p_scope text,
  p_touch_interval_ms integer,
  p_drop uuid,
  p_quantity integer,
  p_key text,
  p_now timestamptz,
  p_default_grace_days integer,
  p_require_admission boolean,
  p_admission_hash text
) RETURNS SETOF drop_claims
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_user uuid;
  v_scopes text[];
BEGIN
  SELECT c.user_id, c.scopes INTO v_user, v_scopes FROM kiln_check_api_token(p_token_hash, p_now, p_touch_interval_ms) c;
  IF v_user IS NULL THEN
    RAISE EXCEPTION 'KILN_CLAIM:UNAUTHENTICATED' USING DETAIL = 'The bearer token is unknown, revoked or expired';
  END IF;
  IF NOT (p_scope = ANY (v_scopes)) THEN
    RAISE EXCEPTION 'KILN_CLAIM:FORBIDDEN' USING DETAIL = format('This token lacks the "%s" scope', p_scope);
  END IF;
  RETURN QUERY SELECT * FROM kiln_claim_drop(v_user, p_drop, p_quantity, p_key, p_now,
    ('x' || left(replace(v_user::text, '-', ''), 8))::bit(32)::bigint,
    p_default_grace_days, p_require_admission, p_admission_hash);
END
$$;
--> statement-breakpoint
ALTER FUNCTION kiln_claim_drop_with_token(text, text, integer, uuid, integer, text, timestamptz, integer, boolean, text) OWNER TO kiln_system;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kiln_claim_drop_with_token(text, text, integer, uuid, integer, text, timestamptz, integer, boolean, text) FROM PUBLIC;
--> statement-breakpoint
DO $$ BEGIN
  EXECUTE format('GRANT EXECUTE ON FUNCTION kiln_claim_drop_with_token(text, text, integer, uuid, integer, text, timestamptz, integer, boolean, text) TO %I', current_user);
END $$;
