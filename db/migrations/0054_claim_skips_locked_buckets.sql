-- A claim no longer queues behind each locked stock bucket in turn (docs/decisions/026). kiln_claim_drop
-- (0050) waited for the lock on the member's start bucket, then on the next: near a sell-out, when most
-- buckets are empty and the rest are held by claims in flight, a claim waited on each of them in turn.
-- Now a first pass takes the first unlocked bucket with enough stock (FOR UPDATE SKIP LOCKED), from the
-- member's own; only when there is none does the claim wait as before (bucket by bucket, then gathered in
-- bucket order), so SOLD_OUT still means that no bucket had enough once every lock was released. A drop
-- with one bucket skips the first pass. The rest of the function is 0050's, unchanged.
CREATE OR REPLACE FUNCTION kiln_claim_drop(
  p_member uuid,
  p_drop uuid,
  p_quantity integer,
  p_key text,
  p_now timestamptz,
  p_bucket_seed bigint,
  p_default_grace_days integer,
  p_require_admission boolean,
  p_admission_hash text
) RETURNS SETOF drop_claims
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  v_claim drop_claims;
  v_drop drops;
  v_product_limit integer;
  v_edition_id uuid;
  v_edition_limit integer;
  v_gate uuid[];
  v_entitled uuid[] := '{}';
  v_early boolean;
  v_admitted boolean;
  v_subject record;
  v_subjects uuid[] := '{}';
  v_bucket integer;
  v_taken jsonb;
  v_need integer;
  v_take integer;
  v_row record;
BEGIN
  SELECT * INTO v_claim FROM drop_claims WHERE member_user_id = p_member AND idempotency_key = p_key;
  IF FOUND THEN
    IF v_claim.drop_id <> p_drop OR v_claim.quantity <> p_quantity THEN
      RAISE EXCEPTION 'KILN_CLAIM:CONFLICT' USING DETAIL = 'This idempotency key was used for another claim';
    END IF;
    RETURN NEXT v_claim;
    RETURN;
  END IF;

  SELECT d.* INTO v_drop FROM drops d JOIN creators c ON c.id = d.creator_id
  WHERE d.id = p_drop AND d.is_published AND c.is_published;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'KILN_CLAIM:NOT_FOUND' USING DETAIL = 'Drop not found';
  END IF;
  SELECT p.lifetime_limit, e.id, e.lifetime_limit INTO v_product_limit, v_edition_id, v_edition_limit
  FROM products p LEFT JOIN editions e ON e.id = p.edition_id WHERE p.id = v_drop.product_id;

  -- The gate (drops/src/gate.ts entitledTiers + checkGate; billing's isEntitled and effectiveTierId).
  v_gate := v_drop.tier_ids || v_drop.early_access_tier_ids;
  IF cardinality(v_gate) > 0 THEN
    WITH tiers AS (
      SELECT t.id, t.creator_id, t.rank FROM subscription_tiers t
      WHERE t.creator_id IN (SELECT g.creator_id FROM subscription_tiers g WHERE g.id = ANY (v_gate))
    ), held AS (
      SELECT h.id, h.creator_id, h.rank
      FROM subscriptions s
      LEFT JOIN billing_settings b ON b.coop_id = s.coop_id
      JOIN tiers h ON h.id = CASE
        WHEN s.scheduled_tier_id IS NOT NULL AND s.scheduled_at IS NOT NULL AND s.scheduled_at <= p_now
        THEN s.scheduled_tier_id ELSE s.tier_id END
      WHERE s.member_user_id = p_member
        AND s.creator_id IN (SELECT creator_id FROM tiers)
        AND NOT (s.cancel_at_period_end AND s.current_period_end IS NOT NULL AND s.current_period_end <= p_now)
        AND (s.status IN ('active', 'trialing')
          OR (s.status = 'past_due' AND s.past_due_since IS NOT NULL
            AND p_now < s.past_due_since + make_interval(secs => coalesce(b.grace_days, p_default_grace_days) * 86400)))
    )
    SELECT coalesce(array_agg(t.id), '{}') INTO v_entitled FROM tiers t
    WHERE t.id = ANY (v_gate)
      AND EXISTS (SELECT 1 FROM held h WHERE h.id = t.id OR (h.creator_id = t.creator_id AND h.rank > t.rank));
  END IF;
  IF v_drop.closes_at IS NOT NULL AND v_drop.closes_at <= p_now THEN
    RAISE EXCEPTION 'KILN_CLAIM:NOT_OPEN' USING DETAIL = 'This drop has closed';
  END IF;
  v_early := v_drop.early_access_tier_ids && v_entitled;
  IF NOT (cardinality(v_drop.tier_ids) = 0 OR v_early OR v_drop.tier_ids && v_entitled) THEN
    RAISE EXCEPTION 'KILN_CLAIM:NOT_ENTITLED' USING DETAIL = 'This drop is for members of another tier';
  END IF;
  IF v_drop.opens_at > p_now
    AND NOT (v_drop.early_access_at IS NOT NULL AND v_drop.early_access_at <= p_now AND v_early) THEN
    RAISE EXCEPTION 'KILN_CLAIM:NOT_OPEN' USING DETAIL = 'This drop is not open yet';
  END IF;

  -- A hot drop's single-use admission token, bound to the member and the drop (admission.ts).
  v_admitted := v_drop.is_hot AND p_require_admission;
  IF v_admitted THEN
    UPDATE drop_queue SET token_used_at = p_now
    WHERE drop_id = v_drop.id AND member_user_id = p_member AND token_hash = p_admission_hash
      AND token_used_at IS NULL;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'KILN_CLAIM:FORBIDDEN'
        USING DETAIL = 'This drop admits claims through its waiting room: wait for your turn there';
    END IF;
  END IF;

  -- The member's limit: a conditional upsert on the (drop, member) row.
  IF p_quantity > v_drop.per_member_limit THEN
    RAISE EXCEPTION 'KILN_CLAIM:LIMIT_EXCEEDED' USING DETAIL = format('At most %s per member', v_drop.per_member_limit);
  END IF;
  INSERT INTO drop_member_counters (drop_id, member_user_id, coop_id, creator_id, taken)
  VALUES (v_drop.id, p_member, v_drop.coop_id, v_drop.creator_id, p_quantity)
  ON CONFLICT (drop_id, member_user_id) DO UPDATE SET taken = drop_member_counters.taken + excluded.taken
  WHERE drop_member_counters.taken + excluded.taken <= v_drop.per_member_limit;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'KILN_CLAIM:LIMIT_EXCEEDED' USING DETAIL = format('At most %s per member', v_drop.per_member_limit);
  END IF;

  -- Lifetime limits of the product and its co-op-wide edition (lifetime.ts), locked in subject id order.
  FOR v_subject IN
    SELECT s.id, s.type, s.lim FROM (VALUES
      (v_drop.product_id, 'product', v_product_limit),
      (v_edition_id, 'edition', v_edition_limit)) AS s(id, type, lim)
    WHERE s.id IS NOT NULL AND s.lim IS NOT NULL ORDER BY s.id
  LOOP
    IF p_quantity > v_subject.lim THEN
      RAISE EXCEPTION 'KILN_CLAIM:LIMIT_EXCEEDED'
        USING DETAIL = format('You have reached the lifetime limit of this %s', v_subject.type);
    END IF;
    INSERT INTO lifetime_counters (coop_id, member_user_id, subject_id, subject_type, taken)
    VALUES (v_drop.coop_id, p_member, v_subject.id, v_subject.type, p_quantity)
    ON CONFLICT (coop_id, member_user_id, subject_id) DO UPDATE SET taken = lifetime_counters.taken + excluded.taken
    WHERE lifetime_counters.taken + excluded.taken <= v_subject.lim;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'KILN_CLAIM:LIMIT_EXCEEDED'
        USING DETAIL = format('You have reached the lifetime limit of this %s', v_subject.type);
    END IF;
    v_subjects := v_subjects || v_subject.id;
  END LOOP;

  -- Stock, first pass: the first bucket from the member's own that holds enough and that no other claim
  -- has locked (SKIP LOCKED). Only one bucket is locked, and without waiting, so the lock order holds.
  IF v_drop.bucket_count > 1 THEN
    UPDATE drop_stock SET remaining = remaining - p_quantity
    WHERE drop_id = v_drop.id AND bucket = (
      SELECT f.bucket FROM drop_stock f
      WHERE f.drop_id = v_drop.id AND f.remaining >= p_quantity
      ORDER BY (f.bucket - p_bucket_seed % v_drop.bucket_count + v_drop.bucket_count) % v_drop.bucket_count
      LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING bucket INTO v_bucket;
    IF FOUND THEN
      v_taken := jsonb_build_object(v_bucket::text, p_quantity);
    END IF;
  END IF;
  -- Every bucket with enough was locked (or there is one bucket): a conditional update on each in turn
  -- from the member's own, waiting for its lock; else gathered in bucket order.
  IF v_taken IS NULL THEN
    FOR i IN 0 .. v_drop.bucket_count - 1 LOOP
      v_bucket := ((p_bucket_seed + i) % v_drop.bucket_count)::integer;
      UPDATE drop_stock SET remaining = remaining - p_quantity
      WHERE drop_id = v_drop.id AND bucket = v_bucket AND remaining >= p_quantity;
      IF FOUND THEN
        v_taken := jsonb_build_object(v_bucket::text, p_quantity);
        EXIT;
      END IF;
    END LOOP;
  END IF;
  IF v_taken IS NULL THEN
    IF p_quantity = 1 THEN
      RAISE EXCEPTION 'KILN_CLAIM:SOLD_OUT' USING DETAIL = 'Sold out', HINT = CASE WHEN v_drop.is_hot THEN 'hot' ELSE '' END;
    END IF;
    v_taken := '{}';
    v_need := p_quantity;
    FOR v_row IN
      SELECT bucket, remaining FROM drop_stock WHERE drop_id = v_drop.id AND remaining > 0 ORDER BY bucket FOR UPDATE
    LOOP
      EXIT WHEN v_need = 0;
      v_take := least(v_need, v_row.remaining);
      UPDATE drop_stock SET remaining = remaining - v_take WHERE drop_id = v_drop.id AND bucket = v_row.bucket;
      v_taken := v_taken || jsonb_build_object(v_row.bucket::text, v_take);
      v_need := v_need - v_take;
    END LOOP;
    IF v_need > 0 THEN
      RAISE EXCEPTION 'KILN_CLAIM:SOLD_OUT' USING DETAIL = 'Not enough left', HINT = '';
    END IF;
  END IF;

  INSERT INTO drop_claims (coop_id, creator_id, drop_id, member_user_id, quantity, taken_from, idempotency_key,
    lifetime_subject_ids, expires_at, created_at, updated_at)
  VALUES (v_drop.coop_id, v_drop.creator_id, v_drop.id, p_member, p_quantity, v_taken, p_key,
    v_subjects, p_now + make_interval(mins => v_drop.hold_minutes), p_now, p_now)
  RETURNING * INTO v_claim;
  IF v_admitted THEN
    UPDATE drop_queue SET claim_id = v_claim.id WHERE drop_id = v_drop.id AND member_user_id = p_member;
  END IF;
  RETURN NEXT v_claim;
END
$$;
