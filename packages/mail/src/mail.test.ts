import { randomUUID } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq, inArray } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { schema, withSystem, withTenant } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createCoop } from "../../seed/src/factories";
import {
  claimOutbox,
  createMailTransport,
  deliverOutbox,
  enqueueEmail,
  listLocalMail,
  readLocalMail,
  type MailTransport,
} from "./index";

// A clock far before any other test's: rows other test files leave pending are not yet due here.
const rt = await getTestRuntime("2001-05-01T10:00:00.000Z");
const dirs: string[] = [];
const mailDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "kiln-mail-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const from = "Kiln <no-reply@kiln.test>";
const mail = (to = `m-${randomUUID().slice(0, 6)}@example.test`) => ({
  to,
  subject: "Bitte bestätigen",
  text: "Hallo!",
  html: "<p>Hallo!</p>",
  template: "verify-email",
  locale: "de" as const,
});

async function rows(ids: string[]) {
  return withSystem(rt, "test", (tx) =>
    tx.select().from(schema.emailOutbox).where(inArray(schema.emailOutbox.id, ids)),
  );
}

const failing = (message = "smtp down"): MailTransport => ({
  kind: "smtp",
  send: async () => {
    throw new Error(message);
  },
  close() {},
});

describe("enqueueEmail", () => {
  it("writes a pending row in the caller's transaction", async () => {
    const { id } = await withSystem(rt, "test", (tx) => enqueueEmail(tx, { ...mail(), coopId: null }));
    const [row] = await rows([id]);
    expect(row).toMatchObject({ status: "pending", attempts: 0, template: "verify-email", locale: "de", coopId: null });
    expect(row!.sendAfter).toEqual(rt.clock.now());
  });

  it("is rolled back with the transaction", async () => {
    let id = "";
    await expect(
      withSystem(rt, "test", async (tx) => {
        id = (await enqueueEmail(tx, mail())).id;
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await rows([id])).toEqual([]);
  });

  it("inside a co-op context accepts only that co-op's mail", async () => {
    const a = await createCoop(rt);
    const b = await createCoop(rt);
    const ctx = { coopId: a.id, role: "coop_admin" };
    const { id } = await withTenant(rt, ctx, (tx) => enqueueEmail(tx, { ...mail(), coopId: a.id }));
    expect(await rows([id])).toHaveLength(1);
    await expect(withTenant(rt, ctx, (tx) => enqueueEmail(tx, { ...mail(), coopId: b.id }))).rejects.toThrow();
    await expect(withTenant(rt, ctx, (tx) => enqueueEmail(tx, { ...mail(), coopId: null }))).rejects.toThrow();
  });

  it("rejects a bad address with a clear message and writes nothing", async () => {
    await expect(withSystem(rt, "test", (tx) => enqueueEmail(tx, { ...mail("not-an-address") }))).rejects.toThrow(
      /to must be an email address/,
    );
  });
});

describe("deliverOutbox with the file transport", () => {
  it("sends due mail, leaves future mail, and the dev mailbox shows it newest first", async () => {
    const dir = await mailDir();
    const transport = createMailTransport({ mailDir: dir, from });
    expect(transport.kind).toBe("file");
    // Earlier tests of this file left mail pending: send it elsewhere first.
    await deliverOutbox(rt, createMailTransport({ mailDir: await mailDir(), from }), { batchSize: 100 });

    const first = await withSystem(rt, "test", (tx) => enqueueEmail(tx, mail("first@example.test")));
    const later = await withSystem(rt, "test", (tx) =>
      enqueueEmail(tx, { ...mail("later@example.test"), sendAfter: new Date(rt.clock.now().getTime() + 3_600_000) }),
    );
    expect(await deliverOutbox(rt, transport, { batchSize: 10 })).toEqual({
      sent: [first.id],
      retried: [],
      failed: [],
    });
    rt.clock.advance(1000);
    const second = await withSystem(rt, "test", (tx) => enqueueEmail(tx, mail("second@example.test")));
    rt.clock.advance(1000);
    expect(await deliverOutbox(rt, transport, { batchSize: 10 })).toEqual({
      sent: [second.id],
      retried: [],
      failed: [],
    });
    expect((await rows([first.id, second.id, later.id])).map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [first.id, "sent"],
        [second.id, "sent"],
        [later.id, "pending"],
      ].sort(),
    );

    const box = await listLocalMail(dir);
    expect(box.map((m) => m.to)).toEqual(["second@example.test", "first@example.test"]);
    expect(await readLocalMail(dir, first.id)).toMatchObject({
      id: first.id,
      to: "first@example.test",
      from,
      subject: "Bitte bestätigen",
      text: "Hallo!",
      html: "<p>Hallo!</p>",
      messageId: `<${first.id}@kiln.local>`,
    });

    rt.clock.advance(3_600_000);
    expect((await deliverOutbox(rt, transport)).sent).toEqual([later.id]);
    expect((await listLocalMail(dir))[0]!.to).toBe("later@example.test");
    expect(await deliverOutbox(rt, transport)).toEqual({ sent: [], retried: [], failed: [] });
  });

  it("retries with backoff and marks a row failed after maxAttempts", async () => {
    const { id } = await withSystem(rt, "test", (tx) => enqueueEmail(tx, mail()));
    expect(await deliverOutbox(rt, failing(), { maxAttempts: 3 })).toEqual({ sent: [], retried: [id], failed: [] });
    let [row] = await rows([id]);
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastError: "smtp down" });
    expect(row!.sendAfter).toEqual(new Date(rt.clock.now().getTime() + 60_000));

    // Not due again until the backoff has passed.
    rt.clock.advance(59_000);
    expect((await deliverOutbox(rt, failing(), { maxAttempts: 3 })).retried).toEqual([]);
    rt.clock.advance(1_000);
    expect((await deliverOutbox(rt, failing(), { maxAttempts: 3 })).retried).toEqual([id]);
    [row] = await rows([id]);
    expect(row!.sendAfter).toEqual(new Date(rt.clock.now().getTime() + 120_000));

    rt.clock.advance(120_000);
    expect(await deliverOutbox(rt, failing("mailbox full"), { maxAttempts: 3 })).toEqual({
      sent: [],
      retried: [],
      failed: [id],
    });
    [row] = await rows([id]);
    expect(row).toMatchObject({ status: "failed", attempts: 3, lastError: "mailbox full", sentAt: null });
  });

  it("loses no mail when the worker dies between claiming/sending and marking (at least once)", async () => {
    const dir = await mailDir();
    const { id } = await withSystem(rt, "test", (tx) => enqueueEmail(tx, mail()));
    // A worker claims the row and dies before marking it.
    expect((await claimOutbox(rt, { leaseSeconds: 300 })).map((r) => r.id)).toEqual([id]);
    const transport = createMailTransport({ mailDir: dir, from });
    // While the lease runs, no other run takes it…
    expect((await deliverOutbox(rt, transport)).sent).toEqual([]);
    // …afterwards it is sent.
    rt.clock.advance(300_000);
    expect((await deliverOutbox(rt, transport)).sent).toEqual([id]);
    const [row] = await rows([id]);
    expect(row).toMatchObject({ status: "sent", attempts: 2, sentAt: rt.clock.now() });
  });
});

describe("the local mailbox", () => {
  it("refuses ids that are not message ids (no path traversal)", async () => {
    const dir = await mailDir();
    const secretDir = await mailDir();
    await writeFile(path.join(secretDir, "secret.json"), JSON.stringify({ id: "secret" }));
    const traversal = path.relative(dir, path.join(secretDir, "secret"));
    expect(await readLocalMail(dir, traversal)).toBeNull();
    expect(await readLocalMail(dir, "../secret")).toBeNull();
    expect(await readLocalMail(dir, `${randomUUID()}/../../x`)).toBeNull();
    expect(await readLocalMail(dir, randomUUID())).toBeNull();
    expect(await listLocalMail(path.join(dir, "absent"))).toEqual([]);
  });
});

/** The few SMTP verbs nodemailer speaks, enough to receive one message per connection. */
function startTinySmtpServer() {
  const received: Array<{ from: string; to: string[]; data: string }> = [];
  const server: Server = createServer((socket) => {
    let buffer = "";
    let inData = false;
    let current = { from: "", to: [] as string[], data: "" };
    socket.write("220 tiny ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          current.data = buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(current);
          current = { from: "", to: [], data: "" };
          socket.write("250 OK queued\r\n");
          continue;
        }
        const nl = buffer.indexOf("\r\n");
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") socket.write("250 tiny\r\n");
        else if (verb === "MAIL") {
          current.from = line;
          socket.write("250 OK\r\n");
        } else if (verb === "RCPT") {
          current.to.push(line);
          socket.write("250 OK\r\n");
        } else if (verb === "DATA") {
          inData = true;
          socket.write("354 go ahead\r\n");
        } else if (verb === "QUIT") socket.end("221 bye\r\n");
        else socket.write("250 OK\r\n");
      }
    });
  });
  return new Promise<{ port: number; received: typeof received; close: () => Promise<void> }>((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : 0,
        received,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

describe("the SMTP transport", () => {
  it("delivers outbox mail through nodemailer", async () => {
    const smtp = await startTinySmtpServer();
    const transport = createMailTransport({
      smtpUrl: `smtp://127.0.0.1:${smtp.port}/?ignoreTLS=true`,
      mailDir: await mailDir(),
      from,
    });
    try {
      expect(transport.kind).toBe("smtp");
      const { id } = await withSystem(rt, "test", (tx) => enqueueEmail(tx, mail("smtp@example.test")));
      expect((await deliverOutbox(rt, transport)).sent).toEqual([id]);
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]!.to).toEqual(["RCPT TO:<smtp@example.test>"]);
      expect(smtp.received[0]!.data).toContain(`Message-ID: <${id}@kiln.local>`);
      expect(smtp.received[0]!.data).toMatch(/Subject: .*Bitte/);
      const [row] = await withSystem(rt, "test", (tx) =>
        tx.select().from(schema.emailOutbox).where(eq(schema.emailOutbox.id, id)),
      );
      expect(row!.status).toBe("sent");
    } finally {
      transport.close();
      await smtp.close();
    }
  });
});

it("the test's mail folders hold only what was sent", async () => {
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [])) expect(name).not.toMatch(/\.tmp$/);
  }
});
