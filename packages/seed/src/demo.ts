import { count } from "drizzle-orm";
import { schema, withSystem, type Runtime, type RoleName } from "@kiln/db";
import { assignRole, createCoop, createCreator, createFactory, createUser } from "./factories";

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
  factories: { name: string; location: string; capabilities: string[]; leadTimeDays: number; isBackup?: boolean }[];
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
      { name: "Leipzig Screenprint Works", location: "Leipzig, DE", capabilities: ["screenprint"], leadTimeDays: 5 },
      { name: "Pigment Lab Halle", location: "Halle (Saale), DE", capabilities: ["pigment-batch"], leadTimeDays: 8 },
      {
        name: "Dresden Textile (backup)",
        location: "Dresden, DE",
        capabilities: ["screenprint", "sewing"],
        leadTimeDays: 12,
        isBackup: true,
      },
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
      },
      { name: "Sausalito Sewing Room", location: "Sausalito, CA, US", capabilities: ["sewing"], leadTimeDays: 9 },
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
 * The demo you can click through: two co-ops, their creators (published storefronts), factories,
 * and one verified account per role. One transaction: it is all there or none of it is.
 */
export async function seedDemo(rt: Runtime): Promise<{ coops: number; users: number }> {
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
  });
  return { coops: COOPS.length, users: DEMO_USERS.length };
}
