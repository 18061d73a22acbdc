import { and, eq, or } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withSystem, withTenant } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createCoopWithPeople, createCreator, createUser } from "../../seed/src/factories";
import {
  acceptInvitation,
  createInvitation,
  findInvitationByToken,
  listInvitations,
  revokeInvitation,
} from "./invitations";
import { getMemberships } from "./roles";
import { APP_URL, countRows, expectAppError, outboxFor, tokenFromText, uniqueEmail } from "./test-helpers";
import { DAY_MS, hashToken } from "./tokens";

const rt = await getTestRuntime();
const opts = { appUrl: APP_URL };

async function inviteToken(email: string) {
  const mails = (await outboxFor(rt, email)).filter((m) => m.template === "invitation");
  return tokenFromText(mails.at(-1)!.textBody, "/invitations/accept");
}

describe("createInvitation", () => {
  it("lets a co-op admin invite to a co-op role; the link is emailed and only its hash stored", async () => {
    const { coop, admin } = await createCoopWithPeople(rt);
    const email = uniqueEmail("reviewer");
    const record = await createInvitation(
      rt,
      { inviterUserId: admin.id, coopId: coop.id, role: "compliance_reviewer", email: email.toUpperCase() },
      opts,
    );
    expect(record).toMatchObject({
      coopId: coop.id,
      role: "compliance_reviewer",
      email,
      status: "pending",
      invitedBy: admin.id,
    });
    expect(record).not.toHaveProperty("tokenHash");
    expect(record.expiresAt.getTime() - rt.clock.now().getTime()).toBe(7 * DAY_MS);

    const [mail] = await outboxFor(rt, email);
    expect(mail).toMatchObject({ template: "invitation", coopId: coop.id });
    expect(mail!.textBody).toContain(coop.name);
    expect(mail!.textBody).toContain("compliance reviewer");
    const token = tokenFromText(mail!.textBody, "/invitations/accept");
    const [row] = await withSystem(rt, "test", (tx) =>
      tx.select().from(schema.invitations).where(eq(schema.invitations.id, record.id)),
    );
    expect(row!.tokenHash).toBe(hashToken(token));

    // The co-op's audit chain records it; the address sits beside the chain, not in it.
    const [entry] = await withSystem(rt, "test", (tx) =>
      tx
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.coopId, coop.id), eq(schema.auditLog.action, "invitation.created"))),
    );
    expect(entry).toMatchObject({
      actorUserId: admin.id,
      subjectId: record.id,
    });
    expect(entry!.data).toMatchObject({ role: "compliance_reviewer" });
    expect(JSON.stringify(entry!.data)).not.toContain(email);
  });

  it("lets a co-op admin invite to a creator or factory of their co-op", async () => {
    const { coop, creator, factory, admin } = await createCoopWithPeople(rt);
    const staff = await createInvitation(
      rt,
      { inviterUserId: admin.id, coopId: coop.id, role: "creator_owner", email: uniqueEmail(), creatorId: creator.id },
      opts,
    );
    expect(staff.creatorId).toBe(creator.id);
    const operator = await createInvitation(
      rt,
      {
        inviterUserId: admin.id,
        coopId: coop.id,
        role: "factory_operator",
        email: uniqueEmail(),
        factoryId: factory.id,
      },
      opts,
    );
    expect(operator.factoryId).toBe(factory.id);
  });

  it("lets a creator owner invite staff to their own creator only", async () => {
    const { coop, creator, owner } = await createCoopWithPeople(rt);
    const sibling = await createCreator(rt, { coopId: coop.id });
    const email = uniqueEmail("staff");
    const record = await createInvitation(
      rt,
      { inviterUserId: owner.id, coopId: coop.id, role: "creator_staff", email, creatorId: creator.id },
      opts,
    );
    expect(record.status).toBe("pending");

    const before = await countRows(rt, schema.invitations, eq(schema.invitations.coopId, coop.id));
    const refusals = [
      { role: "creator_staff", creatorId: sibling.id },
      { role: "creator_owner", creatorId: creator.id },
      { role: "coop_admin" },
      { role: "compliance_reviewer" },
    ];
    for (const r of refusals) {
      const error = await expectAppError(
        createInvitation(rt, { inviterUserId: owner.id, coopId: coop.id, email: uniqueEmail(), ...r }, opts),
        "NOT_FOUND",
      );
      expect(error.message).toBe("Not found");
    }
    expect(await countRows(rt, schema.invitations, eq(schema.invitations.coopId, coop.id))).toBe(before);
  });

  it("treats a foreign co-op's creator or factory, or a co-op the inviter does not run, as not found", async () => {
    const mine = await createCoopWithPeople(rt);
    const theirs = await createCoopWithPeople(rt);
    const inCoops = or(eq(schema.invitations.coopId, mine.coop.id), eq(schema.invitations.coopId, theirs.coop.id));
    const mailInCoops = or(eq(schema.emailOutbox.coopId, mine.coop.id), eq(schema.emailOutbox.coopId, theirs.coop.id));
    const tries = [
      { coopId: mine.coop.id, role: "creator_staff", creatorId: theirs.creator.id },
      { coopId: mine.coop.id, role: "factory_operator", factoryId: theirs.factory.id },
      { coopId: theirs.coop.id, role: "coop_admin" },
      { coopId: theirs.coop.id, role: "creator_staff", creatorId: theirs.creator.id },
      { coopId: "00000000-0000-4000-8000-000000000000", role: "coop_admin" },
      { coopId: "not-a-uuid", role: "coop_admin" },
    ];
    for (const t of tries) {
      await expectAppError(
        createInvitation(rt, { inviterUserId: mine.admin.id, email: uniqueEmail(), ...t }, opts),
        "NOT_FOUND",
      );
    }
    // Reviewers, operators and plain members cannot invite at all.
    for (const who of [mine.reviewer, mine.operator, mine.member]) {
      await expectAppError(
        createInvitation(
          rt,
          { inviterUserId: who.id, coopId: mine.coop.id, role: "compliance_reviewer", email: uniqueEmail() },
          opts,
        ),
        "NOT_FOUND",
      );
    }
    expect(await countRows(rt, schema.invitations, inCoops)).toBe(0);
    expect(await countRows(rt, schema.emailOutbox, mailInCoops)).toBe(0);
  });

  it("rejects bad input with field messages and writes nothing", async () => {
    const { coop, admin, creator } = await createCoopWithPeople(rt);
    const missing = await expectAppError(
      createInvitation(rt, { inviterUserId: admin.id, coopId: coop.id, role: "creator_staff", email: "x" }, opts),
      "BAD_INPUT",
    );
    expect(missing.fields).toEqual({
      email: ["Enter a valid email address, like name@example.com"],
      creatorId: ["Choose the creator this role is for"],
    });
    const extra = await expectAppError(
      createInvitation(
        rt,
        { inviterUserId: admin.id, coopId: coop.id, role: "coop_admin", email: uniqueEmail(), creatorId: creator.id },
        opts,
      ),
      "BAD_INPUT",
    );
    expect(extra.fields).toEqual({ creatorId: ["This role is not tied to a creator"] });
    const role = await expectAppError(
      createInvitation(rt, { inviterUserId: admin.id, coopId: coop.id, role: "owner", email: uniqueEmail() }, opts),
      "BAD_INPUT",
    );
    expect(role.fields).toEqual({ role: ["Choose a role"] });
    expect(await countRows(rt, schema.invitations, eq(schema.invitations.coopId, coop.id))).toBe(0);
  });
});

describe("acceptInvitation", () => {
  it("grants the role to the invited address, once, and records it in the audit chain", async () => {
    const { coop, creator, owner } = await createCoopWithPeople(rt);
    const invitee = await createUser(rt);
    await createInvitation(
      rt,
      { inviterUserId: owner.id, coopId: coop.id, role: "creator_staff", email: invitee.email, creatorId: creator.id },
      opts,
    );
    const token = await inviteToken(invitee.email);

    const preview = await findInvitationByToken(rt, token);
    expect(preview).toMatchObject({ coopName: coop.name, creatorName: creator.displayName, role: "creator_staff" });

    const granted = await acceptInvitation(rt, { token, userId: invitee.id });
    expect(granted).toEqual({ coopId: coop.id, role: "creator_staff", creatorId: creator.id, factoryId: null });
    const memberships = await getMemberships(rt, invitee.id);
    expect(memberships).toEqual([
      {
        role: "creator_staff",
        coop: { id: coop.id, slug: coop.slug, name: coop.name, timezone: coop.timezone },
        creator: { id: creator.id, slug: creator.slug, displayName: creator.displayName },
      },
    ]);

    // Accepting again is harmless; nobody else can use the spent link.
    await acceptInvitation(rt, { token, userId: invitee.id });
    expect(await getMemberships(rt, invitee.id)).toHaveLength(1);
    const stranger = await createUser(rt);
    await expectAppError(acceptInvitation(rt, { token, userId: stranger.id }), "GONE");

    const entries = await withSystem(rt, "test", (tx) =>
      tx
        .select()
        .from(schema.auditLog)
        .where(and(eq(schema.auditLog.coopId, coop.id), eq(schema.auditLog.action, "role.granted"))),
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actorUserId: invitee.id,
      subjectId: invitee.id,
    });
    expect(entries[0]!.data).toMatchObject({ role: "creator_staff", creatorId: creator.id });
  });

  it("refuses a different signed-in address without granting anything", async () => {
    const { coop, admin } = await createCoopWithPeople(rt);
    const email = uniqueEmail("invitee");
    await createInvitation(rt, { inviterUserId: admin.id, coopId: coop.id, role: "coop_admin", email }, opts);
    const token = await inviteToken(email);
    const someoneElse = await createUser(rt);
    const error = await expectAppError(acceptInvitation(rt, { token, userId: someoneElse.id }), "BAD_INPUT");
    expect(error.message).toContain(email);
    expect(await getMemberships(rt, someoneElse.id)).toEqual([]);
    // Still open for the right person.
    const invitee = await createUser(rt, { email });
    await acceptInvitation(rt, { token, userId: invitee.id });
    expect((await getMemberships(rt, invitee.id)).map((m) => m.role)).toEqual(["coop_admin"]);
  });

  it("refuses expired, revoked, replaced and unknown invitations", async () => {
    const { clock } = await getTestRuntime();
    const local = { ...rt, clock };
    const { coop, admin } = await createCoopWithPeople(local);
    const invitee = await createUser(local);

    await createInvitation(
      local,
      { inviterUserId: admin.id, coopId: coop.id, role: "compliance_reviewer", email: invitee.email },
      opts,
    );
    const replaced = await inviteToken(invitee.email);
    clock.advance(1000);
    const record = await createInvitation(
      local,
      { inviterUserId: admin.id, coopId: coop.id, role: "compliance_reviewer", email: invitee.email },
      opts,
    );
    const latest = await inviteToken(invitee.email);
    await expectAppError(acceptInvitation(local, { token: replaced, userId: invitee.id }), "GONE");

    clock.advance(7 * DAY_MS);
    await expectAppError(acceptInvitation(local, { token: latest, userId: invitee.id }), "GONE");
    await expectAppError(findInvitationByToken(local, latest), "GONE");
    expect(
      (await listInvitations(local, { userId: admin.id, coopId: coop.id })).find((i) => i.id === record.id)?.status,
    ).toBe("expired");

    clock.advance(1000);
    const revoked = await createInvitation(
      local,
      { inviterUserId: admin.id, coopId: coop.id, role: "coop_admin", email: invitee.email },
      opts,
    );
    const revokedToken = await inviteToken(invitee.email);
    expect((await revokeInvitation(local, { userId: admin.id, invitationId: revoked.id })).status).toBe("revoked");
    await expectAppError(acceptInvitation(local, { token: revokedToken, userId: invitee.id }), "GONE");
    await expectAppError(acceptInvitation(local, { token: "unknown", userId: invitee.id }), "GONE");
    expect(await getMemberships(local, invitee.id)).toEqual([]);
  });
});

describe("listInvitations and revokeInvitation", () => {
  it("show admins every invitation of their co-op and owners only their creator's staff invitations", async () => {
    const { coop, creator, admin, owner, reviewer } = await createCoopWithPeople(rt);
    const sibling = await createCreator(rt, { coopId: coop.id });
    const a = await createInvitation(
      rt,
      { inviterUserId: admin.id, coopId: coop.id, role: "coop_admin", email: uniqueEmail() },
      opts,
    );
    const b = await createInvitation(
      rt,
      { inviterUserId: owner.id, coopId: coop.id, role: "creator_staff", email: uniqueEmail(), creatorId: creator.id },
      opts,
    );
    const c = await createInvitation(
      rt,
      { inviterUserId: admin.id, coopId: coop.id, role: "creator_staff", email: uniqueEmail(), creatorId: sibling.id },
      opts,
    );

    const forAdmin = await listInvitations(rt, { userId: admin.id, coopId: coop.id });
    expect(forAdmin.map((i) => i.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(forAdmin[0]).not.toHaveProperty("tokenHash");
    const forOwner = await listInvitations(rt, { userId: owner.id, coopId: coop.id, creatorId: creator.id });
    expect(forOwner.map((i) => i.id)).toEqual([b.id]);
    await expectAppError(
      listInvitations(rt, { userId: owner.id, coopId: coop.id, creatorId: sibling.id }),
      "NOT_FOUND",
    );
    await expectAppError(listInvitations(rt, { userId: reviewer.id, coopId: coop.id }), "NOT_FOUND");

    // The owner may withdraw their creator's invitation, not the co-op's or a sibling's.
    await expectAppError(revokeInvitation(rt, { userId: owner.id, invitationId: a.id }), "NOT_FOUND");
    await expectAppError(revokeInvitation(rt, { userId: owner.id, invitationId: c.id }), "NOT_FOUND");
    expect((await revokeInvitation(rt, { userId: owner.id, invitationId: b.id })).status).toBe("revoked");
  });

  it("hides another co-op's invitations", async () => {
    const mine = await createCoopWithPeople(rt);
    const theirs = await createCoopWithPeople(rt);
    const foreign = await createInvitation(
      rt,
      { inviterUserId: theirs.admin.id, coopId: theirs.coop.id, role: "coop_admin", email: uniqueEmail() },
      opts,
    );
    await expectAppError(listInvitations(rt, { userId: mine.admin.id, coopId: theirs.coop.id }), "NOT_FOUND");
    await expectAppError(revokeInvitation(rt, { userId: mine.admin.id, invitationId: foreign.id }), "NOT_FOUND");
    await expectAppError(revokeInvitation(rt, { userId: mine.admin.id, invitationId: "nope" }), "NOT_FOUND");
    // And RLS agrees: in my co-op's context the row does not exist.
    const seen = await withTenant(rt, { userId: mine.admin.id, coopId: mine.coop.id, role: "coop_admin" }, (tx) =>
      tx.select().from(schema.invitations).where(eq(schema.invitations.id, foreign.id)),
    );
    expect(seen).toEqual([]);
  });

  it("refuses to revoke an accepted invitation", async () => {
    const { coop, admin } = await createCoopWithPeople(rt);
    const invitee = await createUser(rt);
    const record = await createInvitation(
      rt,
      { inviterUserId: admin.id, coopId: coop.id, role: "compliance_reviewer", email: invitee.email },
      opts,
    );
    await acceptInvitation(rt, { token: await inviteToken(invitee.email), userId: invitee.id });
    await expectAppError(revokeInvitation(rt, { userId: admin.id, invitationId: record.id }), "CONFLICT");
  });
});
