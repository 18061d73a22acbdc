import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withSystem, withTenant, type TenantContext } from "@kiln/db";
import { assignRole, createCoopWithPeople, createCreator, createUser } from "@kiln/seed";
import { getTestRuntime } from "../setup/runtime";

/**
 * The second wall: raw SQL inside the tenant helper cannot see or touch another co-op's (or another
 * creator's) rows, on every table. The table list is checked against the catalogue, so a table added
 * by a later migration fails here until it is covered.
 */
const rt = await getTestRuntime();

type Row = Record<string, unknown>;

/** How to find a table's row by its key, and how to make a copy that differs in its unique columns. */
const TABLES: Record<string, { key: string[] }> = {
  coops: { key: ["id"] },
  creators: { key: ["id"] },
  factories: { key: ["id"] },
  users: { key: ["id"] },
  role_assignments: { key: ["id"] },
  invitations: { key: ["id"] },
  sessions: { key: ["id"] },
  api_tokens: { key: ["id"] },
  user_tokens: { key: ["id"] },
  rate_limits: { key: ["key", "window_start"] },
  audit_log: { key: ["coop_id", "seq"] },
  audit_personal_data: { key: ["id"] },
  email_outbox: { key: ["id"] },
  capacity_windows: { key: ["id"] },
  capacity_requests: { key: ["id"] },
  allocation_runs: { key: ["id"] },
  allocations: { key: ["id"] },
  allocation_outcomes: { key: ["id"] },
  batch_progress: { key: ["allocation_id"] },
  capacity_settings: { key: ["coop_id"] },
  allocation_jobs: { key: ["id"] },
  subscription_tiers: { key: ["id"] },
  terms_versions: { key: ["id"] },
  compliance_evaluations: { key: ["id"] },
  terms_reviews: { key: ["id"] },
  compliance_waivers: { key: ["id"] },
  compliance_waiver_requests: { key: ["id"] },
  compliance_settings: { key: ["coop_id"] },
  consents: { key: ["id"] },
  billing_settings: { key: ["coop_id"] },
  billing_accounts: { key: ["id"] },
  tier_prices: { key: ["id"] },
  billing_customers: { key: ["id"] },
  subscriptions: { key: ["id"] },
  billing_webhook_events: { key: ["id"] },
  billing_reconciliations: { key: ["id"] },
  billing_disputes: { key: ["id"] },
  products: { key: ["id"] },
  drops: { key: ["id"] },
  drop_stock: { key: ["drop_id", "bucket"] },
  drop_member_counters: { key: ["drop_id", "member_user_id"] },
  drop_claims: { key: ["id"] },
  drop_payments: { key: ["claim_id"] },
  orders: { key: ["id"] },
  drop_waitlist: { key: ["id"] },
  drop_queue: { key: ["drop_id", "member_user_id"] },
  drop_queue_seals: { key: ["drop_id"] },
  editions: { key: ["id"] },
  lifetime_counters: { key: ["coop_id", "member_user_id", "subject_id"] },
  cancellations: { key: ["id"] },
  withdrawals: { key: ["id"] },
  refunds: { key: ["id"] },
  price_changes: { key: ["id"] },
  notices: { key: ["id"] },
  personalization_consents: { key: ["id"] },
  product_view_events: { key: ["id"] },
  offer_exposures: { key: ["id"] },
  offer_exposure_items: { key: ["exposure_id", "position"] },
  offer_models: { key: ["id"] },
  offer_experiments: { key: ["id"] },
};

function mutateUnique(table: string, row: Row): Row {
  const copy = { ...row };
  if (typeof copy.id === "string") copy.id = table === "sessions" ? randomUUID().replaceAll("-", "") : randomUUID();
  for (const column of ["slug", "token_hash", "key"])
    if (typeof copy[column] === "string") copy[column] = `x-${randomUUID()}`;
  if (typeof copy.email === "string") copy.email = `x-${randomUUID()}@example.test`;
  if (typeof copy.seq === "number") copy.seq = 1_000_000;
  return copy;
}

/** drizzle wraps the driver's error; PostgreSQL's own message is the cause. */
const refusal = /row-level security|permission denied/;
const isRefusal = (error: unknown) =>
  refusal.test(String((error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message));

const whereKey = (key: string[], row: Row) =>
  sql.join(
    key.map((k) => sql`${sql.identifier(k)}::text = ${String(row[k])}`),
    sql` and `,
  );

let foreign: Record<string, Row>;
let a: Awaited<ReturnType<typeof createCoopWithPeople>>;
let contexts: Record<string, TenantContext>;

beforeAll(async () => {
  a = await createCoopWithPeople(rt);
  const b = await createCoopWithPeople(rt);
  // One row of every table that belongs to co-op B (or to B's people).
  await withSystem(rt, "test-fixture", async (tx) => {
    const now = rt.clock.now().toISOString();
    const later = new Date(rt.clock.now().getTime() + 86_400_000).toISOString();
    await tx.execute(sql`insert into invitations (coop_id, creator_id, role, email, token_hash, expires_at)
      values (${b.coop.id}, ${b.creator.id}, 'creator_staff', 'staff-b@example.test', ${randomUUID()}, ${later})`);
    await tx.execute(
      sql`insert into sessions (id, user_id, expires_at) values (${randomUUID()}, ${b.admin.id}, ${later})`,
    );
    await tx.execute(sql`insert into api_tokens (user_id, name, token_hash, prefix, scopes)
      values (${b.admin.id}, 'b token', ${randomUUID()}, 'kiln_b', '{me:read}')`);
    await tx.execute(sql`insert into user_tokens (user_id, kind, token_hash, expires_at)
      values (${b.admin.id}, 'reset_password', ${randomUUID()}, ${later})`);
    await tx.execute(
      sql`insert into rate_limits (key, window_start, count) values (${`sign-in:${b.admin.id}`}, ${now}, 1)`,
    );
    await tx.execute(sql`insert into audit_log (coop_id, seq, prev_hash, hash, action, data, occurred_at)
      values (${b.coop.id}, 1, ${"0".repeat(64)}, ${"f".repeat(64)}, 'test.fixture', '{}'::jsonb, ${now})`);
    await tx.execute(
      sql`insert into audit_personal_data (coop_id, subject_user_id, data) values (${b.coop.id}, ${b.member.id}, '{"email":"b@example.test"}')`,
    );
    await tx.execute(sql`insert into email_outbox (coop_id, to_address, subject, text_body, template)
      values (${b.coop.id}, 'b@example.test', 'Hello', 'Hello B', 'test')`);
    // Capacity pool (issue 7): a window, a request, a run with one allocation and its outcome.
    await tx.execute(sql`insert into capacity_windows (coop_id, factory_id, capability, period, units)
      values (${b.coop.id}, ${b.factory.id}, 'screenprint', '2030-W10', 100)`);
    const [request] = await tx.execute<{
      id: string;
    }>(sql`insert into capacity_requests (coop_id, creator_id, capability, period, units)
      values (${b.coop.id}, ${b.creator.id}, 'screenprint', '2030-W10', 40) returning id`);
    const [run] = await tx.execute<{ id: string }>(sql`insert into allocation_runs (coop_id, period, inputs, summary)
      values (${b.coop.id}, '2030-W10', '{}'::jsonb, '{}'::jsonb) returning id`);
    const [allocation] = await tx.execute<{
      id: string;
    }>(sql`insert into allocations (coop_id, run_id, method, request_id, creator_id, factory_id, capability, period, units, is_locked)
      values (${b.coop.id}, ${run!.id}, 'fair', ${request!.id}, ${b.creator.id}, ${b.factory.id}, 'screenprint', '2030-W10', 40, true) returning id`);
    await tx.execute(sql`insert into batch_progress (allocation_id, coop_id, factory_id, creator_id, started_at)
      values (${allocation!.id}, ${b.coop.id}, ${b.factory.id}, ${b.creator.id}, ${now})`);
    await tx.execute(sql`insert into allocation_outcomes (coop_id, run_id, method, request_id, creator_id, requested_units, allocated_units, fair_share, bound_by, explanation, is_locked)
      values (${b.coop.id}, ${run!.id}, 'fair', ${request!.id}, ${b.creator.id}, 40, 40, 40, 'request', '{"parts":[]}'::jsonb, true)`);
    await tx.execute(sql`insert into capacity_settings (coop_id, offshore_lead_time_days) values (${b.coop.id}, 40)`);
    await tx.execute(sql`insert into allocation_jobs (coop_id, period, requested_by_user_id, run_id)
      values (${b.coop.id}, '2030-W10', ${b.admin.id}, ${run!.id})`);
    // Compliance (issue 4): a tier, a terms version in review with a run, a decision, a waiver, settings, a consent.
    const [tier] = await tx.execute<{
      id: string;
    }>(sql`insert into subscription_tiers (coop_id, creator_id, name, jurisdictions)
      values (${b.coop.id}, ${b.creator.id}, 'B tier', '{DE}') returning id`);
    const [tv] = await tx.execute<{
      id: string;
    }>(sql`insert into terms_versions (coop_id, creator_id, tier_id, version, status, terms, content_hash)
      values (${b.coop.id}, ${b.creator.id}, ${tier!.id}, 1, 'approved', '{}'::jsonb, ${"a".repeat(64)}) returning id`);
    await tx.execute(sql`insert into compliance_evaluations (coop_id, creator_id, terms_version_id, fingerprint, findings, failing)
      values (${b.coop.id}, ${b.creator.id}, ${tv!.id}, 'fp', '[]'::jsonb, 0)`);
    await tx.execute(sql`insert into terms_reviews (coop_id, creator_id, terms_version_id, reviewer_id, decision)
      values (${b.coop.id}, ${b.creator.id}, ${tv!.id}, ${b.reviewer.id}, 'approve')`);
    await tx.execute(sql`insert into compliance_waivers (coop_id, creator_id, tier_id, jurisdiction, rule_id, reason, expires_at, created_by)
      values (${b.coop.id}, ${b.creator.id}, ${tier!.id}, 'DE', 'X-D4', 'a reason long enough', ${later}, ${b.reviewer.id})`);
    await tx.execute(sql`insert into compliance_waiver_requests (coop_id, creator_id, tier_id, terms_version_id, jurisdiction, rule_id, reason, requested_by)
      values (${b.coop.id}, ${b.creator.id}, ${tier!.id}, ${tv!.id}, 'DE', 'X-D1', 'a reason long enough', ${b.owner.id})`);
    await tx.execute(sql`insert into compliance_settings (coop_id, required_approvals) values (${b.coop.id}, 2)`);
    await tx.execute(sql`insert into consents (coop_id, creator_id, member_user_id, tier_id, terms_version_id, terms_hash, disclosure_hash,
        disclosure_text, button_label, checkboxes, price_shown, jurisdiction, locale, consented_at, retain_until)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${tier!.id}, ${tv!.id}, 'h', 'd', 'text', 'Order with obligation to pay',
        '[]'::jsonb, '{"amountMinor":900,"currency":"EUR","interval":"month"}'::jsonb, 'DE', 'de', ${now}, ${later})`);
    // Billing (issue 5): settings, a Connect account, a price, a customer, a subscription, a webhook event.
    const [consent] = await tx.execute<{ id: string }>(sql`select id from consents where coop_id = ${b.coop.id}`);
    await tx.execute(sql`insert into billing_settings (coop_id, application_fee_bps) values (${b.coop.id}, 300)`);
    const acct = `acct_b_${randomUUID().slice(0, 8)}`;
    await tx.execute(sql`insert into billing_accounts (coop_id, creator_id, stripe_account_id, status)
      values (${b.coop.id}, ${b.creator.id}, ${acct}, 'enabled')`);
    const [price] = await tx.execute<{
      id: string;
    }>(sql`insert into tier_prices (coop_id, creator_id, tier_id, terms_version_id, currency, amount_minor, interval, stripe_price_id)
      values (${b.coop.id}, ${b.creator.id}, ${tier!.id}, ${tv!.id}, 'eur', 900, 'month', ${`price_b_${randomUUID()}`}) returning id`);
    await tx.execute(sql`insert into billing_customers (coop_id, creator_id, member_user_id, stripe_account_id, stripe_customer_id)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${acct}, 'cus_b')`);
    await tx.execute(sql`insert into subscriptions (coop_id, creator_id, member_user_id, tier_id, tier_price_id, consent_id,
        stripe_account_id, stripe_customer_id, stripe_subscription_id, status)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${tier!.id}, ${price!.id}, ${consent!.id}, ${acct}, 'cus_b', 'sub_b', 'active')`);
    // Already processed, so the webhook sweep of a billing test running alongside leaves it alone.
    await tx.execute(sql`insert into billing_webhook_events (stripe_event_id, endpoint, type, account, event_created, payload, coop_id, processed_at)
      values (${`evt_b_${randomUUID()}`}, 'connect', 'customer.updated', ${acct}, 1, '{}', ${b.coop.id}, ${now})`);
    await tx.execute(
      sql`insert into billing_reconciliations (coop_id, trigger, checked) values (${b.coop.id}, 'manual', 1)`,
    );
    const [subB] = await tx.execute<{ id: string }>(sql`select id from subscriptions where coop_id = ${b.coop.id}`);
    await tx.execute(sql`insert into billing_disputes (coop_id, creator_id, subscription_id, stripe_account_id, stripe_dispute_id,
        stripe_charge_id, amount_minor, currency, reason, status)
      values (${b.coop.id}, ${b.creator.id}, ${subB!.id}, ${acct}, 'dp_b', 'ch_b', 900, 'eur', 'fraudulent', 'needs_response')`);
    // Drops (issue 8): an unpublished product and drop (published ones are public), stock, a counter, a claim.
    const [product] = await tx.execute<{
      id: string;
    }>(sql`insert into products (coop_id, creator_id, title, price_minor, currency, capability, sku)
      values (${b.coop.id}, ${b.creator.id}, 'B print', 2500, 'EUR', 'screenprint', 'B-1') returning id`);
    const [drop] = await tx.execute<{
      id: string;
    }>(sql`insert into drops (coop_id, creator_id, product_id, title, quantity, capability, period, opens_at)
      values (${b.coop.id}, ${b.creator.id}, ${product!.id}, 'B drop', 10, 'screenprint', '2030-W10', ${later}) returning id`);
    await tx.execute(sql`insert into drop_stock (drop_id, bucket, coop_id, creator_id, remaining)
      values (${drop!.id}, 0, ${b.coop.id}, ${b.creator.id}, 9)`);
    await tx.execute(sql`insert into drop_member_counters (drop_id, member_user_id, coop_id, creator_id, taken)
      values (${drop!.id}, ${b.member.id}, ${b.coop.id}, ${b.creator.id}, 1)`);
    await tx.execute(sql`insert into drop_claims (coop_id, creator_id, drop_id, member_user_id, quantity, taken_from, idempotency_key, expires_at)
      values (${b.coop.id}, ${b.creator.id}, ${drop!.id}, ${b.member.id}, 1, '{"0":1}'::jsonb, 'b-claim-key', ${later})`);
    const [claimB] = await tx.execute<{ id: string }>(
      sql`select id from drop_claims where idempotency_key = 'b-claim-key'`,
    );
    const address = JSON.stringify({
      name: "B",
      line1: "B-Str. 1",
      line2: null,
      postalCode: "10115",
      city: "Berlin",
      country: "DE",
    });
    await tx.execute(sql`insert into drop_payments (claim_id, coop_id, creator_id, member_user_id, status, stripe_account_id, stripe_customer_id,
        stripe_payment_intent_id, currency, items_minor, delivery_minor, total_minor, application_fee_minor, shipping_address, disclosure_text, button_label, locale)
      values (${claimB!.id}, ${b.coop.id}, ${b.creator.id}, ${b.member.id}, 'captured', 'acct_b', 'cus_b', ${`pi_b_${randomUUID()}`}, 'EUR', 2500, 500, 3000, 150,
        ${address}::jsonb, 'disclosure', 'Order with obligation to pay', 'en')`);
    await tx.execute(sql`insert into orders (coop_id, creator_id, claim_id, drop_id, product_id, member_user_id, factory_id, allocation_id, quantity, currency,
        items_minor, delivery_minor, total_minor, shipping_address, stripe_payment_intent_id, placed_at)
      values (${b.coop.id}, ${b.creator.id}, ${claimB!.id}, ${drop!.id}, ${product!.id}, ${b.member.id}, ${b.factory.id}, ${allocation!.id}, 1, 'EUR',
        2500, 500, 3000, ${address}::jsonb, ${`pi_b_${randomUUID()}`}, ${now})`);
    await tx.execute(sql`insert into drop_waitlist (coop_id, creator_id, drop_id, member_user_id)
      values (${b.coop.id}, ${b.creator.id}, ${drop!.id}, ${b.member.id})`);
    // Hot-drop admission (issue 8 §6): a waiting-room entry and the room's seal.
    await tx.execute(sql`insert into drop_queue (drop_id, member_user_id, coop_id, creator_id, early)
      values (${drop!.id}, ${b.member.id}, ${b.coop.id}, ${b.creator.id}, true)`);
    await tx.execute(sql`insert into drop_queue_seals (drop_id, coop_id, creator_id, seed, early_count, sealed_at)
      values (${drop!.id}, ${b.coop.id}, ${b.creator.id}, 'b-seed', 1, ${now})`);
    // Lifetime limits (issue 8 §2): a co-op-wide edition and a member's counter of it.
    const [edition] = await tx.execute<{ id: string }>(sql`insert into editions (coop_id, name, lifetime_limit)
      values (${b.coop.id}, 'B collab', 2) returning id`);
    await tx.execute(sql`insert into lifetime_counters (coop_id, member_user_id, subject_id, subject_type, taken)
      values (${b.coop.id}, ${b.member.id}, ${edition!.id}, 'edition', 1)`);
    // Consumer rights (issue 6): a cancellation, a withdrawal and the refund it made due.
    await tx.execute(sql`insert into cancellations (declaration_id, submission_key, coop_id, creator_id, member_user_id, subscription_id,
        kind, name, email, statement, locale, received_at, receipt_hash)
      values (${randomUUID()}, 'b-cancel', ${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${subB!.id},
        'ordinary', 'B', 'b@example.test', 'statement', 'de', ${now}, 'hash-b-cancel')`);
    const [withdrawalB] = await tx.execute<{
      id: string;
    }>(sql`insert into withdrawals (submission_key, coop_id, creator_id,
        member_user_id, subscription_id, order_ref, name, email, outcome, statement, locale, received_at, receipt_hash)
      values ('b-withdraw', ${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${subB!.id}, ${subB!.id}, 'B', 'b@example.test',
        'accepted', 'statement', 'de', ${now}, 'hash-b-withdraw') returning id`);
    await tx.execute(sql`insert into refunds (coop_id, creator_id, member_user_id, withdrawal_id, subscription_id, paid_minor,
        amount_minor, currency, basis, due_by, stripe_account_id)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${withdrawalB!.id}, ${subB!.id}, 900, 900, 'eur', 'full', ${later}, ${acct})`);
    // Notices and price changes (issue 6 item 3, issue 5 item 5): a price change and its notice.
    const [priceChangeB] = await tx.execute<{
      id: string;
    }>(sql`insert into price_changes (coop_id, creator_id, member_user_id,
        subscription_id, tier_id, terms_version_id, from_tier_price_id, to_tier_price_id, currency, old_amount_minor,
        new_amount_minor, effective_at, jurisdiction, status)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${subB!.id}, ${tier!.id}, ${tv!.id}, ${price!.id}, ${price!.id},
        'eur', 900, 1100, ${later}, 'DE', 'cancelled') returning id`);
    await tx.execute(sql`insert into notices (coop_id, creator_id, member_user_id, subscription_id, kind, period_key, event_at,
        due_at, jurisdiction, template_id, template_version, language, price_change_id, status)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${subB!.id}, 'price-change', ${priceChangeB!.id}, ${later}, ${now},
        'DE', 'notice.price-change', '2026.11.2', 'de', ${priceChangeB!.id}, 'cancelled')`);
    // Personalised offers (issue 9): a view consent, a view, an exposure with one item, a model.
    await tx.execute(sql`insert into personalization_consents (coop_id, member_user_id, granted_at)
      values (${b.coop.id}, ${b.member.id}, ${now})`);
    await tx.execute(sql`insert into product_view_events (coop_id, creator_id, member_user_id, product_id, dwell_ms, occurred_at)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${product!.id}, 1200, ${now})`);
    const [exposureB] = await tx.execute<{
      id: string;
    }>(sql`insert into offer_exposures (coop_id, creator_id, member_user_id,
        experiment_key, assigned_arm, served_arm, shown_at)
      values (${b.coop.id}, ${b.creator.id}, ${b.member.id}, 'offers', 'server', 'server', ${now}) returning id`);
    await tx.execute(sql`insert into offer_exposure_items (exposure_id, position, coop_id, creator_id, member_user_id, drop_id, product_id, server_features)
      values (${exposureB!.id}, 0, ${b.coop.id}, ${b.creator.id}, ${b.member.id}, ${drop!.id}, ${product!.id}, '{0,0,0,0,0,0,0,0,0,0,0,0}'::real[])`);
    await tx.execute(sql`insert into offer_models (coop_id, version, feature_spec, onnx, sha256, card, status, trained_at)
      values (${b.coop.id}, 'b-v1', 'offer-features/1', '\\x00'::bytea, ${"a".repeat(64)}, '{}'::jsonb, 'active', ${now})`);
    await tx.execute(sql`insert into offer_experiments (coop_id, version, device_weight, server_weight, holdout_weight, started_at)
      values (${b.coop.id}, 2, 40, 40, 20, ${now})`);
  });
  foreign = {};
  await withSystem(rt, "test-fixture", async (tx) => {
    const pick = async (table: string, where: ReturnType<typeof sql>) => {
      const rows = await tx.execute<Row>(sql`select * from ${sql.identifier(table)} where ${where} limit 1`);
      expect(rows[0], `fixture row for ${table}`).toBeDefined();
      foreign[table] = rows[0]!;
    };
    await pick("coops", sql`id = ${b.coop.id}`);
    await pick("creators", sql`id = ${b.creator.id}`);
    await pick("factories", sql`id = ${b.factory.id}`);
    await pick("users", sql`id = ${b.admin.id}`);
    await pick("role_assignments", sql`user_id = ${b.owner.id}`);
    for (const t of [
      "invitations",
      "audit_personal_data",
      "email_outbox",
      "audit_log",
      "capacity_windows",
      "capacity_requests",
      "allocation_runs",
      "allocations",
      "allocation_outcomes",
      "batch_progress",
      "capacity_settings",
      "allocation_jobs",
      "subscription_tiers",
      "terms_versions",
      "compliance_evaluations",
      "terms_reviews",
      "compliance_waivers",
      "compliance_waiver_requests",
      "compliance_settings",
      "consents",
      "billing_settings",
      "billing_accounts",
      "tier_prices",
      "billing_customers",
      "subscriptions",
      "billing_webhook_events",
      "billing_reconciliations",
      "billing_disputes",
      "products",
      "drops",
      "drop_stock",
      "drop_member_counters",
      "drop_claims",
      "drop_payments",
      "orders",
      "drop_waitlist",
      "drop_queue",
      "drop_queue_seals",
      "editions",
      "lifetime_counters",
      "cancellations",
      "withdrawals",
      "refunds",
      "price_changes",
      "notices",
      "personalization_consents",
      "product_view_events",
      "offer_exposures",
      "offer_exposure_items",
      "offer_models",
      "offer_experiments",
    ])
      await pick(t, sql`coop_id = ${b.coop.id}`);
    for (const t of ["sessions", "api_tokens", "user_tokens"]) await pick(t, sql`user_id = ${b.admin.id}`);
    await pick("rate_limits", sql`key = ${`sign-in:${b.admin.id}`}`);
  });
  contexts = {
    "co-op admin of A": { userId: a.admin.id, coopId: a.coop.id, role: "coop_admin" },
    "compliance reviewer of A": { userId: a.reviewer.id, coopId: a.coop.id, role: "compliance_reviewer" },
    "creator owner in A": { userId: a.owner.id, coopId: a.coop.id, creatorId: a.creator.id, role: "creator_owner" },
    "factory operator in A": {
      userId: a.operator.id,
      coopId: a.coop.id,
      role: "factory_operator",
      factoryId: a.factory.id,
    },
    member: { userId: a.member.id },
    "anonymous visitor": {},
  };
});

describe("tenant tables", () => {
  it("every table in the public schema has RLS enabled and forced, and is covered here", async () => {
    const rows = await withSystem(rt, "catalogue", (tx) =>
      tx.execute<{ relname: string; enabled: boolean; forced: boolean }>(sql`
        select c.relname, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' order by 1`),
    );
    expect(rows.map((r) => r.relname).sort()).toEqual(Object.keys(TABLES).sort());
    for (const r of rows)
      expect({ table: r.relname, enabled: r.enabled, forced: r.forced }).toEqual({
        table: r.relname,
        enabled: true,
        forced: true,
      });
  });
});

describe.each(Object.keys(TABLES))("%s across co-ops", (table) => {
  const { key } = TABLES[table]!;

  it.each([
    "co-op admin of A",
    "compliance reviewer of A",
    "creator owner in A",
    "factory operator in A",
    "member",
    "anonymous visitor",
  ])("%s can neither see nor change co-op B's row", async (who) => {
    const ctx = contexts[who]!;
    const row = foreign[table]!;
    // Each attempt runs in its own transaction: a refused statement aborts the transaction it runs in.
    const attempt = (query: ReturnType<typeof sql>) =>
      withTenant(rt, ctx, (tx) => tx.execute(query)).then(
        (rows) => rows.length,
        (error: unknown) => {
          if (isRefusal(error)) return 0;
          throw error;
        },
      );
    const first = Object.keys(row).find((c) => !key.includes(c))!;
    expect(await attempt(sql`select 1 from ${sql.identifier(table)} where ${whereKey(key, row)}`)).toBe(0);
    expect(
      await attempt(
        sql`update ${sql.identifier(table)} set ${sql.identifier(first)} = ${sql.identifier(first)} where ${whereKey(key, row)} returning 1`,
      ),
    ).toBe(0);
    expect(await attempt(sql`delete from ${sql.identifier(table)} where ${whereKey(key, row)} returning 1`)).toBe(0);

    // A copy of B's row, inserted from A's context, is refused (RLS check or missing grant).
    const copy = mutateUnique(table, row);
    const inserted = await withTenant(rt, ctx, (tx) =>
      tx.execute(
        sql`insert into ${sql.identifier(table)} select * from json_populate_record(null::${sql.identifier(table)}, ${JSON.stringify(copy)}::json)`,
      ),
    ).then(
      () => "inserted",
      (error: unknown) => (isRefusal(error) ? "refused" : error),
    );
    expect(inserted).toBe("refused");

    // And B's row is still there, unchanged.
    const still = await withSystem(rt, "check", (tx) =>
      tx.execute<Row>(sql`select * from ${sql.identifier(table)} where ${whereKey(key, row)}`),
    );
    expect(still).toEqual([row]);
  });
});

describe("across creators of one co-op", () => {
  it("a creator's context sees neither the other creator nor its staff assignments and invitations", async () => {
    const other = await createCreator(rt, { coopId: a.coop.id });
    const staff = await createUser(rt);
    await assignRole(rt, { userId: staff.id, coopId: a.coop.id, role: "creator_staff", creatorId: other.id });
    await withSystem(rt, "fixture", (tx) =>
      tx.execute(sql`insert into invitations (coop_id, creator_id, role, email, token_hash, expires_at)
        values (${a.coop.id}, ${other.id}, 'creator_staff', 'other@example.test', ${randomUUID()}, ${new Date(rt.clock.now().getTime() + 3_600_000).toISOString()})`),
    );
    const ctx = contexts["creator owner in A"]!;
    const seen = await withTenant(rt, ctx, async (tx) => ({
      creators: await tx.execute(sql`select id from creators where id = ${other.id}`),
      roles: await tx.execute(sql`select id from role_assignments where creator_id = ${other.id}`),
      invitations: await tx.execute(sql`select id from invitations where creator_id = ${other.id}`),
      ownCreator: await tx.execute(sql`select id from creators where id = ${a.creator.id}`),
    }));
    expect(seen.creators).toHaveLength(0);
    expect(seen.roles).toHaveLength(0);
    expect(seen.invitations).toHaveLength(0);
    expect(seen.ownCreator).toHaveLength(1);
    // The co-op admin sees both creators.
    const admin = await withTenant(rt, contexts["co-op admin of A"]!, (tx) =>
      tx.execute(sql`select id from creators where coop_id = ${a.coop.id}`),
    );
    expect(admin.length).toBeGreaterThanOrEqual(2);
  });

  it("published storefronts are readable by anyone but writable by nobody outside", async () => {
    const b = await createCoopWithPeople(rt);
    const shop = await createCreator(rt, { coopId: b.coop.id, isPublished: true });
    const visitor = await withTenant(rt, {}, (tx) => tx.execute(sql`select slug from creators where id = ${shop.id}`));
    expect(visitor).toEqual([{ slug: shop.slug }]);
    const renamed = await withTenant(rt, contexts["co-op admin of A"]!, (tx) =>
      tx.execute(sql`update creators set display_name = 'hijacked' where id = ${shop.id} returning 1`),
    );
    expect(renamed).toHaveLength(0);
  });
});

describe("positive control", () => {
  it("inside its own context a co-op sees its own rows (the checks above are not vacuous)", async () => {
    const own = await withTenant(rt, contexts["co-op admin of A"]!, async (tx) => ({
      coops: await tx.execute(sql`select id from coops where id = ${a.coop.id}`),
      factories: await tx.execute(sql`select id from factories where coop_id = ${a.coop.id}`),
      roles: await tx.execute(sql`select id from role_assignments where coop_id = ${a.coop.id}`),
      people: await tx.execute(sql`select id from users where id = ${a.owner.id}`),
    }));
    expect(own.coops).toHaveLength(1);
    expect(own.factories).toHaveLength(1);
    expect(own.roles.length).toBeGreaterThanOrEqual(4);
    expect(own.people).toHaveLength(1);
  });
});
