import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { schema, withSystem } from "@kiln/db";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createUser } from "../../seed/src/factories";
import { deleteExpiredAuthRows } from "./maintenance";
import { requestPasswordReset } from "./password-changes";
import { createSession } from "./sessions";
import { APP_URL, countRows } from "./test-helpers";
import { DAY_MS } from "./tokens";

const rt = await getTestRuntime();

describe("deleteExpiredAuthRows", () => {
  it("drops expired sessions and old tokens, keeps live ones", async () => {
    // Earlier than every other test's clock, so the sweep cannot touch rows of tests running alongside.
    const { clock } = await getTestRuntime("2025-01-01T00:00:00.000Z");
    const local = { ...rt, clock };
    const user = await createUser(local);
    const old = await createSession(local, user.id);
    await requestPasswordReset(local, { email: user.email }, { appUrl: APP_URL });
    clock.advance(30 * DAY_MS);
    const fresh = await createSession(local, user.id);

    const removed = await deleteExpiredAuthRows(local);
    expect(removed.sessions).toBeGreaterThanOrEqual(1);
    expect(await countRows(rt, schema.sessions, eq(schema.sessions.id, old.session.id))).toBe(0);
    expect(await countRows(rt, schema.sessions, eq(schema.sessions.id, fresh.session.id))).toBe(1);
    expect(await countRows(rt, schema.userTokens, eq(schema.userTokens.userId, user.id))).toBe(0);
    const limits = await withSystem(rt, "test", (tx) =>
      tx
        .select()
        .from(schema.rateLimits)
        .where(eq(schema.rateLimits.key, `reset-password:${user.id}`)),
    );
    expect(limits).toEqual([]);
  });
});
