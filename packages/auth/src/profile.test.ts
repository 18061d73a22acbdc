import { describe, expect, it } from "vitest";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { createUser } from "../../seed/src/factories";
import { getSessionUser, updateProfile } from "./profile";
import { ProfileSchema } from "./schemas";
import { expectAppError } from "./test-helpers";

const rt = await getTestRuntime();

describe("updateProfile", () => {
  it("saves name, language and jurisdiction and returns the session user", async () => {
    const user = await createUser(rt);
    const updated = await updateProfile(rt, user.id, {
      displayName: " Jo ",
      locale: "de",
      country: "us",
      usState: "ca",
    });
    expect(updated).toEqual({
      id: user.id,
      email: user.email,
      displayName: "Jo",
      locale: "de",
      country: "US",
      usState: "CA",
      emailVerifiedAt: user.emailVerifiedAt,
    });
    expect(await getSessionUser(rt, user.id)).toEqual(updated);

    // Fields left out are cleared: follow the browser, no jurisdiction.
    const cleared = await updateProfile(rt, user.id, { displayName: "Jo" });
    expect(cleared).toMatchObject({ locale: null, country: null, usState: null });
  });

  it("rejects bad input with field messages and changes nothing", async () => {
    const user = await createUser(rt, { displayName: "Before", country: "DE" });
    const state = await expectAppError(
      updateProfile(rt, user.id, { displayName: "X", country: "DE", usState: "CA" }),
      "BAD_INPUT",
    );
    expect(state.fields).toEqual({ usState: ["A state applies only when the country is US"] });
    const bad = await expectAppError(
      updateProfile(rt, user.id, { displayName: "", locale: "fr", country: "Germany", usState: "ZZ" }),
      "BAD_INPUT",
    );
    expect(Object.keys(bad.fields ?? {}).sort()).toEqual(["country", "displayName", "locale", "usState"]);
    expect(await getSessionUser(rt, user.id)).toMatchObject({ displayName: "Before", country: "DE", locale: null });
  });
});

describe("ProfileSchema", () => {
  it("accepts a US state only for the US and only a real one", () => {
    expect(ProfileSchema.safeParse({ displayName: "A", country: "US", usState: "NY" }).success).toBe(true);
    expect(ProfileSchema.safeParse({ displayName: "A", country: "US", usState: "XX" }).success).toBe(false);
    expect(ProfileSchema.safeParse({ displayName: "A", usState: "NY" }).success).toBe(false);
  });
});
