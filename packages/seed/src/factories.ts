import { randomUUID } from "node:crypto";
import { withSystem, schema, type Runtime, type Tx, type RoleName } from "@kiln/db";
import { hashPassword } from "@kiln/auth";

/**
 * Test factories and demo seed share these functions. Each creates its rows in the system context
 * (seeding is system work) and returns them. Unique slugs/emails come from a random suffix, so
 * tests never collide with each other or with the demo.
 */
const suffix = () => randomUUID().slice(0, 8);

type Ins<T extends { $inferInsert: unknown }> = Partial<T["$inferInsert"]>;

async function inSystem<T>(rt: Runtime, tx: Tx | undefined, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return tx ? fn(tx) : withSystem(rt, "seed", fn);
}

export async function createCoop(rt: Runtime, input: Ins<typeof schema.coops> = {}, tx?: Tx) {
  const s = suffix();
  return inSystem(rt, tx, async (t) => {
    const [coop] = await t
      .insert(schema.coops)
      .values({ slug: `coop-${s}`, name: `Co-op ${s}`, timezone: "Europe/Berlin", ...input })
      .returning();
    return coop!;
  });
}

export async function createCreator(rt: Runtime, input: Ins<typeof schema.creators> & { coopId: string }, tx?: Tx) {
  const s = suffix();
  return inSystem(rt, tx, async (t) => {
    const [creator] = await t
      .insert(schema.creators)
      .values({ slug: `creator-${s}`, displayName: `Creator ${s}`, ...input })
      .returning();
    return creator!;
  });
}

export async function createFactory(rt: Runtime, input: Ins<typeof schema.factories> & { coopId: string }, tx?: Tx) {
  const s = suffix();
  return inSystem(rt, tx, async (t) => {
    const [factory] = await t
      .insert(schema.factories)
      .values({ name: `Factory ${s}`, location: "Leipzig, DE", capabilities: ["screenprint"], ...input })
      .returning();
    return factory!;
  });
}

export const DEFAULT_TEST_PASSWORD = "correct horse battery staple";

export async function createUser(
  rt: Runtime,
  input: Omit<Ins<typeof schema.users>, "passwordHash"> & { password?: string; verified?: boolean } = {},
  tx?: Tx,
) {
  const s = suffix();
  const { password = DEFAULT_TEST_PASSWORD, verified = true, ...rest } = input;
  const passwordHash = await hashPassword(password);
  return inSystem(rt, tx, async (t) => {
    const [user] = await t
      .insert(schema.users)
      .values({
        email: `user-${s}@example.test`,
        displayName: `User ${s}`,
        emailVerifiedAt: verified ? rt.clock.now() : null,
        ...rest,
        passwordHash,
      })
      .returning();
    return user!;
  });
}

export async function assignRole(
  rt: Runtime,
  input: { userId: string; coopId: string; role: RoleName; creatorId?: string; factoryId?: string },
  tx?: Tx,
) {
  return inSystem(rt, tx, async (t) => {
    const [row] = await t.insert(schema.roleAssignments).values(input).returning();
    return row!;
  });
}

/** A co-op with one creator, one factory, and a user in every role: the unit most tests start from. */
export async function createCoopWithPeople(rt: Runtime, input: Ins<typeof schema.coops> = {}) {
  const coop = await createCoop(rt, input);
  const creator = await createCreator(rt, { coopId: coop.id });
  const factory = await createFactory(rt, { coopId: coop.id });
  const admin = await createUser(rt, { displayName: "Admin" });
  const reviewer = await createUser(rt, { displayName: "Reviewer" });
  const owner = await createUser(rt, { displayName: "Creator owner" });
  const operator = await createUser(rt, { displayName: "Factory operator" });
  const member = await createUser(rt, { displayName: "Member" });
  await assignRole(rt, { userId: admin.id, coopId: coop.id, role: "coop_admin" });
  await assignRole(rt, { userId: reviewer.id, coopId: coop.id, role: "compliance_reviewer" });
  await assignRole(rt, { userId: owner.id, coopId: coop.id, role: "creator_owner", creatorId: creator.id });
  await assignRole(rt, { userId: operator.id, coopId: coop.id, role: "factory_operator", factoryId: factory.id });
  return { coop, creator, factory, admin, reviewer, owner, operator, member };
}

/** A draft subscription tier of a creator (compliance issue's minimal table; billing extends it). */
export async function createSubscriptionTier(
  rt: Runtime,
  input: Ins<typeof schema.subscriptionTiers> & { coopId: string; creatorId: string },
  tx?: Tx,
) {
  return inSystem(rt, tx, async (t) => {
    const [tier] = await t
      .insert(schema.subscriptionTiers)
      .values({ name: `Tier ${suffix()}`, jurisdictions: ["DE"], ...input })
      .returning();
    return tier!;
  });
}

/** A factory's capacity for one capability in one production window (ISO week, e.g. "2026-W49"). */
export async function createCapacityWindow(
  rt: Runtime,
  input: Ins<typeof schema.capacityWindows> & { coopId: string; factoryId: string; period: string; units: number },
  tx?: Tx,
) {
  return inSystem(rt, tx, async (t) => {
    const [row] = await t
      .insert(schema.capacityWindows)
      .values({ capability: "screenprint", ...input })
      .returning();
    return row!;
  });
}

/** A creator's capacity request for one window. */
export async function createCapacityRequest(
  rt: Runtime,
  input: Ins<typeof schema.capacityRequests> & { coopId: string; creatorId: string; period: string; units: number },
  tx?: Tx,
) {
  return inSystem(rt, tx, async (t) => {
    const [row] = await t
      .insert(schema.capacityRequests)
      .values({ capability: "screenprint", ...input })
      .returning();
    return row!;
  });
}
