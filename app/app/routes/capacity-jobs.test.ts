import { afterAll, describe, expect, it, vi } from "vitest";
import { signIn } from "@kiln/auth";
import { createCapacityRequest, getAllocationRun, setWindow } from "@kiln/capacity";
import { QUEUES, type Jobs } from "@kiln/jobs";
import type { MailTransport } from "@kiln/mail";
import { createCoopWithPeople, DEFAULT_TEST_PASSWORD } from "@kiln/seed";
import { getTestRuntime } from "../../../tests/setup/runtime";
import { allocationJobSender, startWorkers } from "../../server/jobs";
import { argsFor, settle, testRequest, testServices } from "../testing/context";
import * as poolScreen from "./coop.$coopSlug.capacity";

/**
 * Background allocation runs through pg-boss end to end (issue 7): the pool screen's action queues the
 * job with the server's own sender, the server's own workers (startWorkers, as `pnpm start` and
 * server/worker.ts register them) compute it, and the screen's loader shows the stage and percent
 * until the run is there. Nothing here calls the processing function directly.
 */

const rt = await getTestRuntime("2026-11-20T10:00:00.000Z");
const mail: MailTransport = { kind: "file", send: async () => ({ messageId: "test" }), close: () => {} };
let jobs: Jobs | null = null;

afterAll(async () => {
  await jobs?.stop({ timeoutMs: 5_000 });
});

interface JobView {
  id: string;
  period: string;
  status: string;
  stage: string;
  progress: number;
  runId: string | null;
  error: string | null;
}

describe("background allocation runs through pg-boss", () => {
  it("queues from the pool screen, the worker runs it, and the screen shows progress up to the run", async () => {
    const services = testServices(rt);
    jobs = await startWorkers(rt, services.config, mail);
    const sender = allocationJobSender(jobs)!;
    const bossIds: (string | null)[] = [];
    const app = {
      ...services,
      sendAllocationJob: async (jobId: string) => {
        const bossId = (await sender(jobId)) as string | null;
        bossIds.push(bossId);
        return bossId;
      },
    };

    const people = await createCoopWithPeople(rt);
    const admin = { userId: people.admin.id, coopId: people.coop.id, role: "coop_admin" as const };
    await setWindow(rt, admin, {
      factoryId: people.factory.id,
      capability: "screenprint",
      period: "2026-W49",
      units: 50,
    });
    await createCapacityRequest(
      rt,
      { userId: people.owner.id, coopId: people.coop.id, creatorId: people.creator.id, role: "creator_owner" },
      { capability: "screenprint", period: "2026-W49", units: 30 },
    );
    const { token } = await signIn(rt, {
      email: people.admin.email,
      password: DEFAULT_TEST_PASSWORD,
      ip: null,
      userAgent: null,
    });
    const path = `/coop/${people.coop.slug}/capacity?period=2026-W49`;
    const params = { coopSlug: people.coop.slug };
    const screen = async () => {
      const page = await settle(async () =>
        poolScreen.loader(await argsFor(app, testRequest(path, { sessionToken: token }), params)),
      );
      expect(page.status).toBe(200);
      return (page.body as { jobs: JobView[] }).jobs;
    };

    const queued = await settle(async () =>
      poolScreen.action(
        await argsFor(
          app,
          testRequest(path, { sessionToken: token, form: { intent: "run", period: "2026-W49", background: "on" } }),
          params,
        ),
      ),
    );
    expect(queued.status).toBe(302);
    expect(bossIds).toHaveLength(1);
    expect(bossIds[0]).toEqual(expect.any(String));

    // The screen polls (as the page does, every two seconds; here faster) until the worker is done.
    const seen: JobView[] = [];
    await vi.waitFor(
      async () => {
        const [job] = await screen();
        if (job) seen.push(job);
        expect(job?.status).toBe("done");
      },
      { timeout: 45_000, interval: 100 },
    );
    // Before the worker finished, the screen showed the job waiting or under way.
    expect(seen[0]!.period).toBe("2026-W49");
    expect(["queued", "running"]).toContain(seen[0]!.status);
    expect(seen[0]!.progress).toBeLessThan(100);
    const done = seen.at(-1)!;
    expect(done).toMatchObject({ status: "done", stage: "done", progress: 100, error: null });
    // Progress only moves forward.
    const progress = seen.map((j) => j.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    // pg-boss completed the job; the run it produced is a draft with both plans.
    const bossJob = await jobs.boss.getJobById(QUEUES.capacityAllocation, bossIds[0]!);
    expect(bossJob?.state).toBe("completed");
    expect(bossJob?.data).toEqual({ jobId: done.id });
    const run = await getAllocationRun(rt, admin, done.runId!);
    expect(run.status).toBe("draft");
    expect(run.plans.fair.summary.totalUnits).toBe(30);
    expect(run.plans.optimal.summary.totalUnits).toBe(30);
  });
});
