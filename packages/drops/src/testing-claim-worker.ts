/**
 * A claim worker for claims.test.ts's "kill the worker mid-way" acceptance test (tests only): claims
 * a drop for the given members as fast as it can over its own connection pool and prints one line per
 * reserved claim, until the test kills it with SIGKILL. Run with tsx; input is one JSON argument:
 * { databaseUrl, dropId, memberUserIds, now, concurrency }.
 */
import { openDatabase, TestClock, type Runtime } from "@kiln/db";
import { isAppError } from "@kiln/core";
import { claimDrop } from "./claims";

const input = JSON.parse(process.argv[2]!) as {
  databaseUrl: string;
  dropId: string;
  memberUserIds: string[];
  now: string;
  concurrency: number;
};
const rt: Runtime = {
  database: await openDatabase({ databaseUrl: input.databaseUrl, max: input.concurrency }),
  clock: new TestClock(input.now),
};
let next = 0;
const jobs = input.memberUserIds.flatMap((userId) => [0, 1, 2].map((k) => ({ userId, key: `worker-${userId}-${k}` })));
await Promise.all(
  Array.from({ length: input.concurrency }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      try {
        const claim = await claimDrop(
          rt,
          { userId: job.userId },
          { dropId: input.dropId, quantity: 1, idempotencyKey: job.key },
        );
        process.stdout.write(`reserved ${claim.id}\n`);
      } catch (error) {
        if (!isAppError(error)) throw error;
        process.stdout.write(`refused ${error.code}\n`);
      }
    }
  }),
);
process.stdout.write("done\n");
await rt.database.close();
