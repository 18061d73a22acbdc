import { count, eq, inArray, sql } from "drizzle-orm";
import { sampleTermsData, seedMemberConsent, seedTierWithTerms, type OrderPageRenderer } from "@kiln/compliance";
import { schema, withSystem, type Runtime, type RoleName, type Tx } from "@kiln/db";
import {
  assignRole,
  createCapacityRequest,
  createCapacityWindow,
  createCoop,
  createCreator,
  createFactory,
  createUser,
} from "./factories";
import { activateModel } from "@kiln/personalization";
import { trainCoopModel } from "@kiln/personalization/train-job";
import { seedPersonalizationHistory } from "./personalization";

/** Every demo account signs in with this password (the README lists the accounts). */
export const DEMO_PASSWORD = "kiln-demo-2026";

type DemoRole = RoleName | "member";

export interface DemoUser {
  email: string;
  displayName: string;
  role: DemoRole;
  /** Where the role applies, for the README table. */
  scope: string;
  locale: "en" | "de";
  country: string;
  usState?: string;
}

interface DemoCoop {
  slug: string;
  name: string;
  timezone: string;
  applicationFeeBps: number;
  creators: { slug: string; displayName: string }[];
  factories: {
    name: string;
    location: string;
    capabilities: string[];
    leadTimeDays: number;
    costPerUnitCents: number;
    isBackup?: boolean;
  }[];
  /** Units per week for the next weeks: [factory index, capability, units]. */
  capacity: [number, string, number][];
  /** Requests for next week: [creator index, capability, units, minimum batch, latest ship in days or null]. */
  requests: [number, string, number, number, number | null][];
}

const COOPS: DemoCoop[] = [
  {
    slug: "riverside-makers",
    name: "Riverside Makers Co-op",
    timezone: "Europe/Berlin",
    applicationFeeBps: 500,
    creators: [
      { slug: "inkwell-studio", displayName: "Inkwell Studio" },
      { slug: "loom-and-thread", displayName: "Loom & Thread" },
    ],
    factories: [
      {
        name: "Leipzig Screenprint Works",
        location: "Leipzig, DE",
        capabilities: ["screenprint"],
        leadTimeDays: 5,
        costPerUnitCents: 350,
      },
      {
        name: "Pigment Lab Halle",
        location: "Halle (Saale), DE",
        capabilities: ["pigment-batch"],
        leadTimeDays: 8,
        costPerUnitCents: 500,
      },
      {
        name: "Dresden Textile (backup)",
        location: "Dresden, DE",
        capabilities: ["screenprint", "sewing"],
        leadTimeDays: 12,
        costPerUnitCents: 600,
        isBackup: true,
      },
    ],
    capacity: [
      [0, "screenprint", 120],
      [1, "pigment-batch", 80],
      [2, "screenprint", 60],
      [2, "sewing", 40],
    ],
    requests: [
      [0, "screenprint", 90, 20, null],
      [1, "screenprint", 70, 30, 10],
      [0, "pigment-batch", 50, 25, null],
      [1, "pigment-batch", 60, 10, null],
      [1, "sewing", 30, 10, null],
    ],
  },
  {
    slug: "harbor-print",
    name: "Harbor Print Collective",
    timezone: "America/Los_Angeles",
    applicationFeeBps: 400,
    creators: [
      { slug: "tidewater-press", displayName: "Tidewater Press" },
      { slug: "fogline-goods", displayName: "Fogline Goods" },
    ],
    factories: [
      {
        name: "Oakland Print Shop",
        location: "Oakland, CA, US",
        capabilities: ["screenprint", "risograph"],
        leadTimeDays: 4,
        costPerUnitCents: 300,
      },
      {
        name: "Sausalito Sewing Room",
        location: "Sausalito, CA, US",
        capabilities: ["sewing"],
        leadTimeDays: 9,
        costPerUnitCents: 450,
      },
    ],
    capacity: [
      [0, "screenprint", 100],
      [0, "risograph", 60],
      [1, "sewing", 50],
    ],
    requests: [
      [0, "screenprint", 80, 10, null],
      [1, "screenprint", 50, 20, null],
      [1, "sewing", 40, 10, null],
    ],
  },
];

/** One account per role (and a few members in different jurisdictions). Indices refer to COOPS. */
export const DEMO_USERS: (DemoUser & { coop?: number; creator?: number; factory?: number; alsoStaffOf?: number })[] = [
  {
    email: "admin@riverside.demo",
    displayName: "Rosa Admin",
    role: "coop_admin",
    scope: "Riverside Makers Co-op",
    coop: 0,
    locale: "de",
    country: "DE",
  },
  {
    email: "reviewer@riverside.demo",
    displayName: "Rainer Review",
    role: "compliance_reviewer",
    scope: "Riverside Makers Co-op",
    coop: 0,
    locale: "de",
    country: "DE",
  },
  {
    // Separation of duties in the demo: reviews for Riverside and also works for Inkwell Studio, so
    // another reviewer must decide on Inkwell's terms.
    email: "peer@riverside.demo",
    displayName: "Petra Peer",
    role: "compliance_reviewer",
    scope: "Riverside Makers Co-op; also staff of Inkwell Studio",
    coop: 0,
    alsoStaffOf: 0,
    locale: "en",
    country: "DE",
  },
  {
    email: "inkwell@riverside.demo",
    displayName: "Ines Inkwell",
    role: "creator_owner",
    scope: "Inkwell Studio",
    coop: 0,
    creator: 0,
    locale: "en",
    country: "DE",
  },
  {
    email: "loom@riverside.demo",
    displayName: "Lukas Loom",
    role: "creator_owner",
    scope: "Loom & Thread",
    coop: 0,
    creator: 1,
    locale: "de",
    country: "DE",
  },
  {
    email: "staff@riverside.demo",
    displayName: "Sami Staff",
    role: "creator_staff",
    scope: "Inkwell Studio",
    coop: 0,
    creator: 0,
    locale: "en",
    country: "DE",
  },
  {
    email: "factory@riverside.demo",
    displayName: "Franka Factory",
    role: "factory_operator",
    scope: "Leipzig Screenprint Works",
    coop: 0,
    factory: 0,
    locale: "de",
    country: "DE",
  },
  {
    email: "admin@harbor.demo",
    displayName: "Hal Admin",
    role: "coop_admin",
    scope: "Harbor Print Collective",
    coop: 1,
    locale: "en",
    country: "US",
    usState: "CA",
  },
  {
    email: "reviewer@harbor.demo",
    displayName: "Rhea Review",
    role: "compliance_reviewer",
    scope: "Harbor Print Collective",
    coop: 1,
    locale: "en",
    country: "US",
    usState: "CA",
  },
  {
    email: "tidewater@harbor.demo",
    displayName: "Theo Tidewater",
    role: "creator_owner",
    scope: "Tidewater Press",
    coop: 1,
    creator: 0,
    locale: "en",
    country: "US",
    usState: "CA",
  },
  {
    email: "fogline@harbor.demo",
    displayName: "Fay Fogline",
    role: "creator_owner",
    scope: "Fogline Goods",
    coop: 1,
    creator: 1,
    locale: "en",
    country: "US",
    usState: "NY",
  },
  {
    email: "factory@harbor.demo",
    displayName: "Omar Oakland",
    role: "factory_operator",
    scope: "Oakland Print Shop",
    coop: 1,
    factory: 0,
    locale: "en",
    country: "US",
    usState: "CA",
  },
  {
    email: "member@kiln.demo",
    displayName: "Mia Member",
    role: "member",
    scope: "any storefront",
    locale: "de",
    country: "DE",
  },
  {
    email: "member.ca@kiln.demo",
    displayName: "Cal Member",
    role: "member",
    scope: "any storefront",
    locale: "en",
    country: "US",
    usState: "CA",
  },
  {
    email: "member.ny@kiln.demo",
    displayName: "Nia Member",
    role: "member",
    scope: "any storefront",
    locale: "en",
    country: "US",
    usState: "NY",
  },
  {
    email: "member.uk@kiln.demo",
    displayName: "Una Member",
    role: "member",
    scope: "any storefront",
    locale: "en",
    country: "GB",
  },
];

export async function isDatabaseEmpty(rt: Runtime): Promise<boolean> {
  const [row] = await withSystem(rt, "seed-check", (tx) => tx.select({ n: count() }).from(schema.coops));
  return (row?.n ?? 0) === 0;
}

/**
 * Compliance demo (issue 4), inside seedDemo's transaction: Inkwell Studio sells a published tier
 * (approved terms, every DE/EU rule passes), Loom & Thread waits in Riverside's review queue with a
 * save offer that fails DE X-X6, and Tidewater Press has a draft for California whose two retention
 * offers fail US-CA X-X6; Fogline Goods sells a published tier to US, California and New York. The
 * demo members in Germany, California and New York have consented to the published tiers (X-C4
 * records as the order button writes them). Runs the engine on the real order page (`renderOrderPage`).
 */
async function seedComplianceDemo(tx: Tx, render: OrderPageRenderer, at: Date) {
  const ids = new Map<string, string>();
  const rows = await tx
    .select({ id: schema.users.id, email: schema.users.email })
    .from(schema.users)
    .where(
      inArray(schema.users.email, [
        "inkwell@riverside.demo",
        "loom@riverside.demo",
        "reviewer@riverside.demo",
        "tidewater@harbor.demo",
        "fogline@harbor.demo",
        "reviewer@harbor.demo",
        "member@kiln.demo",
        "member.ca@kiln.demo",
        "member.ny@kiln.demo",
      ]),
    );
  for (const r of rows) ids.set(r.email, r.id);
  const creators = await tx
    .select({ id: schema.creators.id, coopId: schema.creators.coopId, slug: schema.creators.slug })
    .from(schema.creators)
    .where(inArray(schema.creators.slug, ["inkwell-studio", "loom-and-thread", "tidewater-press", "fogline-goods"]));
  const creator = (slug: string) => creators.find((c) => c.slug === slug)!;
  const base = sampleTermsData();
  const inkwell = creator("inkwell-studio");
  const printClub = await seedTierWithTerms(
    tx,
    {
      coopId: inkwell.coopId,
      creatorId: inkwell.id,
      name: "Print Club",
      jurisdictions: ["DE", "EU"],
      terms: base,
      ownerUserId: ids.get("inkwell@riverside.demo")!,
      reviewerUserId: ids.get("reviewer@riverside.demo")!,
      stage: "live",
    },
    render,
    at,
  );
  const loom = creator("loom-and-thread");
  await seedTierWithTerms(
    tx,
    {
      coopId: loom.coopId,
      creatorId: loom.id,
      name: "Yarn Letter",
      jurisdictions: ["DE"],
      terms: {
        ...base,
        productDescription: "A monthly letter with a hand-dyed yarn sample and a pattern",
        price: { ...base.price, amountMinor: 1400 },
        cancellation: { ...base.cancellation, saveOffers: 1 },
        trader: {
          name: "Loom & Thread",
          address: "Karl-Liebknecht-Str. 5, 04107 Leipzig, Germany",
          email: "hallo@loom.example",
        },
      },
      ownerUserId: ids.get("loom@riverside.demo")!,
      stage: "in_review",
    },
    render,
    at,
  );
  const tidewater = creator("tidewater-press");
  await seedTierWithTerms(
    tx,
    {
      coopId: tidewater.coopId,
      creatorId: tidewater.id,
      name: "Zine of the Month",
      jurisdictions: ["US-CA"],
      terms: {
        ...base,
        productDescription: "A risograph zine every month, mailed from Oakland",
        price: { amountMinor: 1200, currency: "USD", taxInclusive: false },
        trial: { days: 30, priceMinor: 0 },
        withdrawal: { ...base.withdrawal, right: false, serviceStartsImmediately: false },
        cancellation: { ...base.cancellation, saveOffers: 2 },
        trader: {
          name: "Tidewater Press",
          address: "1 Harbor Way, Oakland, CA 94607, USA",
          email: "hello@tidewater.example",
        },
      },
      ownerUserId: ids.get("tidewater@harbor.demo")!,
      stage: "draft",
    },
    render,
    at,
  );
  // Fogline Goods sells a published tier to California and New York (every US rule passes).
  const fogline = creator("fogline-goods");
  const stickerClub = await seedTierWithTerms(
    tx,
    {
      coopId: fogline.coopId,
      creatorId: fogline.id,
      name: "Sticker Mail",
      jurisdictions: ["US", "US-CA", "US-NY"],
      terms: {
        ...base,
        productDescription: "A sheet of letterpress stickers every month, mailed from Brooklyn",
        price: { amountMinor: 800, currency: "USD", taxInclusive: false },
        trial: { days: 14, priceMinor: 0 },
        withdrawal: { ...base.withdrawal, right: false, serviceStartsImmediately: false },
        trader: {
          name: "Fogline Goods",
          address: "20 Jay St, Brooklyn, NY 11201, USA",
          email: "hello@fogline.example",
        },
      },
      ownerUserId: ids.get("fogline@harbor.demo")!,
      reviewerUserId: ids.get("reviewer@harbor.demo")!,
      stage: "live",
    },
    render,
    at,
  );
  // The demo members ordered these tiers: their consents are recorded as the order button records
  // them (X-C4), so the reviewers' consent search has real records to show.
  const orders = [
    { email: "member@kiln.demo", seeded: printClub, jurisdiction: "DE", locale: "de", ip: "203.0.113.10" },
    { email: "member.ca@kiln.demo", seeded: stickerClub, jurisdiction: "US-CA", locale: "en", ip: "203.0.113.20" },
    { email: "member.ny@kiln.demo", seeded: stickerClub, jurisdiction: "US-NY", locale: "en", ip: "203.0.113.30" },
  ] as const;
  for (const o of orders)
    await seedMemberConsent(
      tx,
      {
        memberUserId: ids.get(o.email)!,
        tierId: o.seeded.tier.id,
        termsVersionId: o.seeded.version.id,
        jurisdiction: o.jurisdiction,
        locale: o.locale,
        ip: o.ip,
        userAgent: "Mozilla/5.0 (X11; Linux x86_64) Kiln demo",
      },
      at,
    );
}

/**
 * Drops demo (issue 8), inside seedDemo's transaction, after the compliance demo: the Californian and
 * New York demo members subscribe to Fogline Goods' "Sticker Mail" (active subscriptions on the
 * consents recorded above, so they are entitled to its member-only drops), and Fogline Goods holds a
 * locked allocation of 30 sewing units in the week after next at Harbor's sewing factory, to make
 * drops from (studio/fogline-goods/drops).
 */
async function seedDropsDemo(tx: Tx, at: Date) {
  const [tier] = await tx.execute<{ id: string; coop_id: string; creator_id: string; timezone: string }>(sql`
    select t.id, t.coop_id, t.creator_id, c.timezone from subscription_tiers t
    join creators cr on cr.id = t.creator_id join coops c on c.id = t.coop_id
    where cr.slug = 'fogline-goods' and t.name = 'Sticker Mail'`);
  if (!tier) throw new Error("seed: Fogline Goods' Sticker Mail tier is missing");
  const consents = await tx.execute<{ id: string; member_user_id: string; terms_version_id: string }>(sql`
    select co.id, co.member_user_id, co.terms_version_id from consents co
    join users u on u.id = co.member_user_id
    where co.tier_id = ${tier.id} and u.email in ('member.ca@kiln.demo', 'member.ny@kiln.demo')`);
  if (consents.length !== 2) throw new Error("seed: the Sticker Mail consents of the demo members are missing");
  const [price] = await tx.execute<{ id: string }>(sql`
    insert into tier_prices (coop_id, creator_id, tier_id, terms_version_id, currency, amount_minor, tax_inclusive, interval, stripe_price_id)
    values (${tier.coop_id}, ${tier.creator_id}, ${tier.id}, ${consents[0]!.terms_version_id}, 'usd', 800, false, 'month',
      'price_demo_sticker_mail') returning id`);
  const periodEnd = new Date(at.getTime() + 365 * 86_400_000).toISOString();
  for (const [i, c] of consents.entries())
    await tx.execute(sql`
      insert into subscriptions (coop_id, creator_id, member_user_id, tier_id, tier_price_id, consent_id, stripe_account_id,
        stripe_customer_id, stripe_subscription_id, status, current_period_end)
      values (${tier.coop_id}, ${tier.creator_id}, ${c.member_user_id}, ${tier.id}, ${price!.id}, ${c.id}, 'acct_demo_fogline',
        ${`cus_demo_sticker_${i}`}, ${`sub_demo_sticker_${i}`}, 'active', ${periodEnd})`);
  const [week] = await tx.execute<{ period: string }>(sql`
    select to_char((kiln_now() at time zone ${tier.timezone})::date + 14, 'IYYY-"W"IW') as period`);
  const [factory] = await tx.execute<{ id: string }>(sql`
    select id from factories where coop_id = ${tier.coop_id} and 'sewing' = any(capabilities) order by name limit 1`);
  const [request] = await tx.execute<{ id: string }>(sql`
    insert into capacity_requests (coop_id, creator_id, capability, period, units)
    values (${tier.coop_id}, ${tier.creator_id}, 'sewing', ${week!.period}, 30) returning id`);
  // The run's summary as the capacity screens read it (both plans: the same 30 units).
  const plan = { totalUnits: 30, requestedUnits: 30, fairShares: { [request!.id]: 30 }, dropped: [], solver: null };
  const [run] = await tx.execute<{ id: string }>(sql`
    insert into allocation_runs (coop_id, period, status, locked_method, inputs, summary)
    values (${tier.coop_id}, ${week!.period}, 'locked', 'fair', '{}'::jsonb,
      ${JSON.stringify({ fair: plan, optimal: plan })}::jsonb) returning id`);
  await tx.execute(sql`
    insert into allocations (coop_id, run_id, method, request_id, creator_id, factory_id, capability, period, units, is_locked)
    values (${tier.coop_id}, ${run!.id}, 'fair', ${request!.id}, ${tier.creator_id}, ${factory!.id}, 'sewing', ${week!.period}, 30, true)`);
}

async function userIdByEmail(tx: Tx, email: string): Promise<string> {
  const [row] = await tx.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.email, email));
  if (!row) throw new Error(`seed: the demo account ${email} is missing`);
  return row.id;
}

export interface SeedDemoOptions {
  /** The app's real order-page renderer (app/app/compliance.server.ts): the compliance demo is judged on it. */
  renderOrderPage: OrderPageRenderer;
}

/**
 * The demo you can click through: two co-ops, their creators (published storefronts), factories,
 * one verified account per role, and the compliance demo (seedComplianceDemo). One transaction:
 * it is all there or none of it is (a compliance tier that fails to seed rolls the whole demo back).
 */
export async function seedDemo(rt: Runtime, options: SeedDemoOptions): Promise<{ coops: number; users: number }> {
  const ranker = await withSystem(rt, "seed-demo", async (tx) => {
    const coops = [];
    for (const spec of COOPS) {
      const coop = await createCoop(
        rt,
        { slug: spec.slug, name: spec.name, timezone: spec.timezone, applicationFeeBps: spec.applicationFeeBps },
        tx,
      );
      const creators = [];
      for (const c of spec.creators)
        creators.push(await createCreator(rt, { coopId: coop.id, ...c, isPublished: true }, tx));
      const factories = [];
      for (const f of spec.factories) factories.push(await createFactory(rt, { coopId: coop.id, ...f }, tx));
      // Capacity for the next six ISO weeks in the co-op's zone, and requests for next week.
      const weeks = await tx.execute<{ period: string; monday: string }>(sql`
        select to_char(d, 'IYYY-"W"IW') as period, to_char(d - (extract(isodow from d)::int - 1), 'YYYY-MM-DD') as monday
        from (select (kiln_now() at time zone ${spec.timezone})::date + 7 * n as d from generate_series(1, 6) n) w
        order by d`);
      for (const { period } of weeks)
        for (const [factory, capability, units] of spec.capacity)
          await createCapacityWindow(
            rt,
            { coopId: coop.id, factoryId: factories[factory]!.id, capability, period, units },
            tx,
          );
      const next = weeks[0]!;
      for (const [creator, capability, units, minBatch, shipInDays] of spec.requests)
        await createCapacityRequest(
          rt,
          {
            coopId: coop.id,
            creatorId: creators[creator]!.id,
            capability,
            period: next.period,
            units,
            minBatch,
            latestShipDate:
              shipInDays === null
                ? null
                : new Date(Date.parse(`${next.monday}T00:00:00Z`) + shipInDays * 86_400_000).toISOString().slice(0, 10),
          },
          tx,
        );
      coops.push({ coop, creators, factories });
    }
    for (const u of DEMO_USERS) {
      const user = await createUser(
        rt,
        {
          email: u.email,
          displayName: u.displayName,
          password: DEMO_PASSWORD,
          locale: u.locale,
          country: u.country,
          usState: u.usState ?? null,
        },
        tx,
      );
      if (u.role === "member" || u.coop === undefined) continue;
      const seeded = coops[u.coop]!;
      await assignRole(
        rt,
        {
          userId: user.id,
          coopId: seeded.coop.id,
          role: u.role,
          ...(u.creator !== undefined ? { creatorId: seeded.creators[u.creator]!.id } : {}),
          ...(u.factory !== undefined ? { factoryId: seeded.factories[u.factory]!.id } : {}),
        },
        tx,
      );
      if (u.alsoStaffOf !== undefined)
        await assignRole(
          rt,
          {
            userId: user.id,
            coopId: seeded.coop.id,
            role: "creator_staff",
            creatorId: seeded.creators[u.alsoStaffOf]!.id,
          },
          tx,
        );
    }
    await seedComplianceDemo(tx, options.renderOrderPage, rt.clock.now());
    await seedDropsDemo(tx, rt.clock.now());
    // Personalised offers (issue 9): a taste panel's eight weeks of history at Riverside Makers.
    const riverside = coops[0]!;
    await seedPersonalizationHistory(tx, {
      coopId: riverside.coop.id,
      creatorIds: riverside.creators.map((c) => c.id),
      factoryId: riverside.factories[0]!.id,
      now: rt.clock.now(),
      password: DEMO_PASSWORD,
      // Loom & Thread sells the panel's membership tiers (Inkwell's Print Club stays the only tier
      // the billing and compliance journeys meet there).
      membership: {
        creatorId: riverside.creators[1]!.id,
        ownerUserId: await userIdByEmail(tx, "loom@riverside.demo"),
        reviewerUserId: await userIdByEmail(tx, "reviewer@riverside.demo"),
        renderOrderPage: options.renderOrderPage,
      },
    });
    const [admin] = await tx
      .select({ id: schema.users.id })
      .from(schema.users)
      .where(eq(schema.users.email, "admin@riverside.demo"));
    return { coop: { id: riverside.coop.id, slug: riverside.coop.slug }, adminUserId: admin!.id };
  });
  // The panel's offer ranker, trained on that history (deterministic) and activated by the co-op's
  // admin as on /coop/<slug>/personalization, so the storefront ranks offers from the first start.
  const trained = await trainCoopModel(rt, { coop: ranker.coop, outDir: null, actorUserId: ranker.adminUserId });
  await activateModel(
    rt,
    { userId: ranker.adminUserId, coopId: ranker.coop.id, role: "coop_admin" },
    { version: trained.registered.version },
  );
  return { coops: COOPS.length, users: DEMO_USERS.length };
}
