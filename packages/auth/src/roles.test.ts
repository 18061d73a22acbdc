import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withTenant } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createCoopWithPeople, createUser } from "../../seed/src/factories";
import { getMemberships, isCoopAdminOf, isCreatorTeamOf, requireMembership, tenantContextFor } from "./roles";
import { expectAppError } from "./test-helpers";

const rt = await getTestRuntime();

describe("memberships", () => {
  it("lists each role with its co-op and, where it applies, creator or factory", async () => {
    const { coop, creator, factory, admin, owner, operator, member } = await createCoopWithPeople(rt);
    const coopView = { id: coop.id, slug: coop.slug, name: coop.name, timezone: coop.timezone };
    expect(await getMemberships(rt, admin.id)).toEqual([{ role: "coop_admin", coop: coopView }]);
    expect(await getMemberships(rt, owner.id)).toEqual([
      {
        role: "creator_owner",
        coop: coopView,
        creator: { id: creator.id, slug: creator.slug, displayName: creator.displayName },
      },
    ]);
    expect(await getMemberships(rt, operator.id)).toEqual([
      { role: "factory_operator", coop: coopView, factory: { id: factory.id, name: factory.name } },
    ]);
    expect(await getMemberships(rt, member.id)).toEqual([]);
  });

  it("turns a membership into the tenant context RLS reads", async () => {
    const { coop, creator, factory, owner, admin, operator } = await createCoopWithPeople(rt);
    const [ownerMembership] = await getMemberships(rt, owner.id);
    const [adminMembership] = await getMemberships(rt, admin.id);
    const [operatorMembership] = await getMemberships(rt, operator.id);
    expect(tenantContextFor(owner.id, ownerMembership!)).toEqual({
      userId: owner.id,
      coopId: coop.id,
      creatorId: creator.id,
      role: "creator_owner",
      factoryId: null,
    });
    expect(tenantContextFor(admin.id, adminMembership!)).toEqual({
      userId: admin.id,
      coopId: coop.id,
      creatorId: null,
      role: "coop_admin",
      factoryId: null,
    });
    expect(tenantContextFor(operator.id, operatorMembership!)).toEqual({
      userId: operator.id,
      coopId: coop.id,
      creatorId: null,
      role: "factory_operator",
      factoryId: factory.id,
    });

    // The context works with withTenant: the owner sees their creator, the admin their co-op.
    const seen = await withTenant(rt, tenantContextFor(owner.id, ownerMembership!), (tx) =>
      tx
        .select({ id: schema.creators.id })
        .from(schema.creators)
        .where(sql`${schema.creators.coopId} = ${coop.id}`),
    );
    expect(seen.map((c) => c.id)).toEqual([creator.id]);
  });

  it("requireMembership returns the match or throws NOT_FOUND", async () => {
    const mine = await createCoopWithPeople(rt);
    const theirs = await createCoopWithPeople(rt);
    const user = await createUser(rt);
    const memberships = await getMemberships(rt, mine.admin.id);
    expect(requireMembership(memberships, isCoopAdminOf(mine.coop.id)).coop.id).toBe(mine.coop.id);
    await expectAppError(
      Promise.resolve().then(() => requireMembership(memberships, isCoopAdminOf(theirs.coop.id))),
      "NOT_FOUND",
    );
    await expectAppError(
      Promise.resolve().then(() => requireMembership(memberships, isCreatorTeamOf(mine.creator.id))),
      "NOT_FOUND",
    );
    await expectAppError(
      Promise.resolve().then(async () => requireMembership(await getMemberships(rt, user.id), () => true)),
      "NOT_FOUND",
    );
  });
});
