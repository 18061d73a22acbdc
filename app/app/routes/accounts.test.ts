import { describe, expect, it } from "vitest";
import { createInvitation, signIn } from "@kiln/auth";
import { assignRole, createCoop, createCreator, createUser, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { argsFor, settle, testIp, testRequest, testServices } from "../testing/context";
import * as coopHome from "./coop.$coopSlug";
import * as devMail from "./dev.mail";
import * as acceptRoute from "./invitations.accept";
import * as home from "./home";
import * as login from "./login";
import * as logout from "./logout";
import * as signup from "./signup";
import * as studioHome from "./studio.$creatorSlug";

const rt = await getTestRuntime();
const services = testServices(rt);
const uniqueEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;

async function usersWithEmail(email: string): Promise<number> {
  const [row] = await rt.database.sql<{ n: number }[]>`select count(*)::int as n from users where email = ${email}`;
  return row?.n ?? 0;
}

async function sessionFor(email: string) {
  const { token } = await signIn(rt, { email, password: DEFAULT_TEST_PASSWORD, ip: testIp(), userAgent: "test" });
  return token;
}

describe("sign-up", () => {
  it("answers bad input with 400 and field errors, and writes nothing", async () => {
    const email = uniqueEmail("bad");
    const request = testRequest("/signup", { form: { displayName: "", email, password: "short" } });
    const result = await settle(async () => signup.action(await argsFor(services, request)));
    expect(result.status).toBe(400);
    const reply = result.body as { error: Record<string, string[]> };
    expect(Object.keys(reply.error)).toEqual(expect.arrayContaining(["displayName", "password"]));
    expect(reply.error.password?.[0]).toMatch(/at least 10 characters/);
    expect(await usersWithEmail(email)).toBe(0);
    expect(services.outboxNotified).toBe(0);
  });

  it("creates the account, queues the verification mail and shows 'Check your email'", async () => {
    const email = uniqueEmail("good");
    const request = testRequest("/signup", {
      form: { displayName: "Ada", email, password: "a long enough password" },
      headers: { "Accept-Language": "de-DE,de;q=0.9" },
    });
    const result = await settle(async () => signup.action(await argsFor(services, request)));
    expect(result.status).toBe(302);
    expect(result.headers.get("Location")).toBe("/check-email");
    expect(await usersWithEmail(email)).toBe(1);
    expect(services.outboxNotified).toBeGreaterThan(0);
    const [mail] = await rt.database.sql<
      { locale: string }[]
    >`select locale from email_outbox where to_address = ${email}`;
    expect(mail?.locale).toBe("de");
  });
});

describe("sign-in and sign-out", () => {
  it("sets an HttpOnly SameSite=Lax session cookie and redirects to the safe target", async () => {
    const user = await createUser(rt, { email: uniqueEmail("login") });
    const request = testRequest("/login", {
      form: { email: user.email, password: DEFAULT_TEST_PASSWORD, redirectTo: "//evil.example/" },
    });
    const result = await settle(async () => login.action(await argsFor(services, request)));
    expect(result.status).toBe(302);
    expect(result.headers.get("Location")).toBe("/home");
    const cookies = result.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("kiln_session="));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).not.toMatch(/Secure/); // plain HTTP in this test
    expect(cookies.some((c) => c.startsWith("kiln_toast="))).toBe(true);
  });

  it("shows a form error for a wrong password and 429 with Retry-After when rate limited", async () => {
    const user = await createUser(rt, { email: uniqueEmail("limit") });
    const attempt = async () =>
      settle(async () =>
        login.action(
          await argsFor(services, testRequest("/login", { form: { email: user.email, password: "wrong password!" } })),
        ),
      );
    const first = await attempt();
    expect(first.status).toBe(401);
    expect((first.body as { error: Record<string, string[]> }).error[""]?.[0]).toMatch(/incorrect/);
    let last = first;
    for (let i = 0; i < 10 && last.status !== 429; i++) last = await attempt();
    expect(last.status).toBe(429);
    expect(Number(last.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((last.body as { error: Record<string, string[]> }).error[""]?.[0]).toMatch(/Too many attempts/);
  });

  it("signs out: the session no longer works and the cookie is cleared", async () => {
    const user = await createUser(rt, { email: uniqueEmail("logout") });
    const token = await sessionFor(user.email);
    const result = await settle(async () =>
      logout.action(await argsFor(services, testRequest("/logout", { method: "POST", sessionToken: token }))),
    );
    expect(result.status).toBe(302);
    expect(result.headers.getSetCookie().find((c) => c.startsWith("kiln_session="))).toMatch(/Max-Age=0/);
    const after = await argsFor(services, testRequest("/home", { sessionToken: token }));
    expect(after.context.auth).toBeNull();
  });
});

describe("role homes", () => {
  it("sends a visitor to sign-in, a member to the member home, an admin to their co-op", async () => {
    const visitor = await settle(async () => home.loader(await argsFor(services, testRequest("/home"))));
    expect(visitor.status).toBe(302);
    expect(visitor.headers.get("Location")).toBe("/login?redirectTo=%2Fhome");

    const member = await createUser(rt, { email: uniqueEmail("member") });
    const memberHome = await settle(async () =>
      home.loader(await argsFor(services, testRequest("/home", { sessionToken: await sessionFor(member.email) }))),
    );
    expect(memberHome.status).toBe(200);
    expect(memberHome.body).toMatchObject({ roles: [] });

    const coop = await createCoop(rt);
    const admin = await createUser(rt, { email: uniqueEmail("admin") });
    await assignRole(rt, { userId: admin.id, coopId: coop.id, role: "coop_admin" });
    const adminHome = await settle(async () =>
      home.loader(await argsFor(services, testRequest("/home", { sessionToken: await sessionFor(admin.email) }))),
    );
    expect(adminHome.headers.get("Location")).toBe(`/coop/${coop.slug}`);
  });

  it("answers a foreign or unknown co-op with 404, never 403", async () => {
    const mine = await createCoop(rt);
    const theirs = await createCoop(rt);
    const admin = await createUser(rt, { email: uniqueEmail("admin") });
    await assignRole(rt, { userId: admin.id, coopId: mine.id, role: "coop_admin" });
    const token = await sessionFor(admin.email);
    const own = await settle(async () =>
      coopHome.loader(
        await argsFor(services, testRequest(`/coop/${mine.slug}`, { sessionToken: token }), { coopSlug: mine.slug }),
      ),
    );
    expect(own.status).toBe(200);
    for (const slug of [theirs.slug, "no-such-coop"]) {
      const other = await settle(async () =>
        coopHome.loader(
          await argsFor(services, testRequest(`/coop/${slug}`, { sessionToken: token }), { coopSlug: slug }),
        ),
      );
      expect(other.status).toBe(404);
    }
  });

  it("lets a co-op admin invite by email, and refuses bad input with 400", async () => {
    const coop = await createCoop(rt);
    const admin = await createUser(rt, { email: uniqueEmail("admin") });
    await assignRole(rt, { userId: admin.id, coopId: coop.id, role: "coop_admin" });
    const token = await sessionFor(admin.email);
    const invite = (form: Record<string, string>) =>
      settle(async () =>
        coopHome.action(
          await argsFor(services, testRequest(`/coop/${coop.slug}`, { form, sessionToken: token }), {
            coopSlug: coop.slug,
          }),
        ),
      );
    const bad = await invite({ intent: "invite", email: "not-an-email", role: "compliance_reviewer" });
    expect(bad.status).toBe(400);
    const email = uniqueEmail("invitee");
    const good = await invite({ intent: "invite", email, role: "compliance_reviewer" });
    expect(good.status).toBe(302);
    const page = await settle(async () =>
      coopHome.loader(
        await argsFor(services, testRequest(`/coop/${coop.slug}`, { sessionToken: token }), { coopSlug: coop.slug }),
      ),
    );
    expect((page.body as { pending: { email: string }[] }).pending.map((p) => p.email)).toContain(email);
  });

  it("hides a creator's studio from another creator's owner", async () => {
    const coop = await createCoop(rt);
    const a = await createCreator(rt, { coopId: coop.id });
    const b = await createCreator(rt, { coopId: coop.id });
    const owner = await createUser(rt, { email: uniqueEmail("owner") });
    await assignRole(rt, { userId: owner.id, coopId: coop.id, role: "creator_owner", creatorId: a.id });
    const token = await sessionFor(owner.email);
    const load = async (slug: string) =>
      settle(async () =>
        studioHome.loader(
          await argsFor(services, testRequest(`/studio/${slug}`, { sessionToken: token }), { creatorSlug: slug }),
        ),
      );
    expect((await load(a.slug)).status).toBe(200);
    expect((await load(b.slug)).status).toBe(404);
    // createInvitation is reachable for the owner's own creator only.
    await expect(
      createInvitation(
        rt,
        { inviterUserId: owner.id, coopId: coop.id, role: "creator_staff", email: uniqueEmail("x"), creatorId: b.id },
        { appUrl: services.config.appUrl },
      ),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("invitations", () => {
  it("lets the invited person sign in and accept, which adds the role", async () => {
    const coop = await createCoop(rt);
    const admin = await createUser(rt, { email: uniqueEmail("admin") });
    await assignRole(rt, { userId: admin.id, coopId: coop.id, role: "coop_admin" });
    const invitee = await createUser(rt, { email: uniqueEmail("invitee") });
    await createInvitation(
      rt,
      { inviterUserId: admin.id, coopId: coop.id, role: "compliance_reviewer", email: invitee.email },
      { appUrl: services.config.appUrl },
    );
    const [mail] = await rt.database.sql<{ text: string }[]>`
      select text_body as text from email_outbox where to_address = ${invitee.email}`;
    const token = /\/invitations\/accept\?token=([\w-]+)/.exec(mail?.text ?? "")?.[1];
    expect(token).toBeTruthy();
    const path = `/invitations/accept?token=${token}`;

    const anonymous = await settle(async () => acceptRoute.loader(await argsFor(services, testRequest(path))));
    expect(anonymous.body).toMatchObject({ signedIn: false, invitation: { role: "compliance_reviewer" } });

    const sessionToken = await sessionFor(invitee.email);
    const accepted = await settle(async () =>
      acceptRoute.action(await argsFor(services, testRequest(path, { form: { token: token! }, sessionToken }))),
    );
    expect(accepted.status).toBe(302);
    const reviewerHome = await settle(async () =>
      home.loader(await argsFor(services, testRequest("/home", { sessionToken }))),
    );
    expect(reviewerHome.headers.get("Location")).toBe(`/review/${coop.slug}`);
  });
});

describe("dev mailbox", () => {
  it("exists without SMTP and is a 404 once SMTP is configured", async () => {
    const withFiles = await settle(async () => devMail.loader(await argsFor(services, testRequest("/dev/mail"))));
    expect(withFiles.status).toBe(200);
    const smtp = testServices(rt, { SMTP_URL: "smtp://mail.example:25" });
    const withSmtp = await settle(async () => devMail.loader(await argsFor(smtp, testRequest("/dev/mail"))));
    expect(withSmtp.status).toBe(404);
  });
});
