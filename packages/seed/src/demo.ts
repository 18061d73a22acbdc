import { count, inArray, sql } from "drizzle-orm";
import { sampleTermsData, seedTierWithTerms, type OrderPageRenderer } from "@kiln/compliance";
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
export const DEMO_USERS: (DemoUser & { coop?: number; creator?: number; factory?: number })[] = [
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
 * offers fail US-CA X-X6. Runs the engine on the real order page (`renderOrderPage` from the app).
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
      ]),
    );
  for (const r of rows) ids.set(r.email, r.id);
  const creators = await tx
    .select({ id: schema.creators.id, coopId: schema.creators.coopId, slug: schema.creators.slug })
    .from(schema.creators)
    .where(inArray(schema.creators.slug, ["inkwell-studio", "loom-and-thread", "tidewater-press"]));
  const creator = (slug: string) => creators.find((c) => c.slug === slug)!;
  const base = sampleTermsData();
  const inkwell = creator("inkwell-studio");
  await seedTierWithTerms(
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
  await withSystem(rt, "seed-demo", async (tx) => {
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
    }
    await seedComplianceDemo(tx, options.renderOrderPage, rt.clock.now());
  });
  return { coops: COOPS.length, users: DEMO_USERS.length };
}
