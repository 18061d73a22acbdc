-- Webhook ingestion in one statement (docs/decisions/011): stores a verified Stripe event once by id,
-- as kiln_system (SECURITY DEFINER, owned by kiln_system, so RLS still applies through the table's
-- system_all policy), without the transaction ceremony of withSystem. It can do exactly one thing:
-- insert into billing_webhook_events (never update, never read another row back). Returns whether
-- the event was new.
CREATE FUNCTION kiln_store_webhook_event(
  p_stripe_event_id text,
  p_endpoint text,
  p_type text,
  p_account text,
  p_event_created bigint,
  p_payload text,
  p_received_at timestamptz
) RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  INSERT INTO billing_webhook_events (stripe_event_id, endpoint, type, account, event_created, payload, received_at)
  VALUES (p_stripe_event_id, p_endpoint, p_type, p_account, p_event_created, p_payload, p_received_at)
  ON CONFLICT (stripe_event_id) DO NOTHING;
  RETURN FOUND;
END
$$;
--> statement-breakpoint
ALTER FUNCTION kiln_store_webhook_event(text, text, text, text, bigint, text, timestamptz) OWNER TO kiln_system;
--> statement-breakpoint
REVOKE ALL ON FUNCTION kiln_store_webhook_event(text, text, text, text, bigint, text, timestamptz) FROM PUBLIC;
--> statement-breakpoint
DO $$ BEGIN
  EXECUTE format('GRANT EXECUTE ON FUNCTION kiln_store_webhook_event(text, text, text, text, bigint, text, timestamptz) TO %I', current_user);
END $$;
