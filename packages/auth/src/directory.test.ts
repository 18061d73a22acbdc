import { describe, expect, it } from "vitest";
import { createCoopWithPeople, createCreator } from "../../seed/src/factories";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { getCoopDirectory } from "./directory";

const rt = await getTestRuntime();

describe("getCoopDirectory", () => {
  it("lists the co-op's creators and factories, and nothing of another co-op", async () => {
    const a = await createCoopWithPeople(rt);
    const b = await createCoopWithPeople(rt);
    const second = await createCreator(rt, { coopId: a.coop.id, displayName: "Aardvark Prints" });
    const directory = await getCoopDirectory(rt, { userId: a.admin.id, coopId: a.coop.id, role: "coop_admin" });
    expect(directory.creators.map((c) => c.id)).toEqual([second.id, a.creator.id]);
    expect(directory.factories.map((f) => f.id)).toEqual([a.factory.id]);
    expect(directory.creators.map((c) => c.id)).not.toContain(b.creator.id);
    // A creator's context sees its own creator only.
    const own = await getCoopDirectory(rt, {
      userId: a.owner.id,
      coopId: a.coop.id,
      creatorId: a.creator.id,
      role: "creator_owner",
    });
    expect(own.creators.map((c) => c.id)).toEqual([a.creator.id]);
  });
});
