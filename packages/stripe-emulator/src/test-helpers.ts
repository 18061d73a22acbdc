import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";

/** The SDK, re-exported for test packages that do not depend on `stripe` themselves. */
export { Stripe };

/** A tiny webhook receiver for tests: verifies each delivery with the SDK and keeps the events. */
export async function startReceiver(secret: string, stripe: Stripe, options: { failFirst?: number } = {}) {
  const events: Stripe.Event[] = [];
  let failures = options.failFirst ?? 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (failures > 0) {
        failures--;
        res.writeHead(500).end();
        return;
      }
      try {
        events.push(
          stripe.webhooks.constructEvent(Buffer.concat(chunks), String(req.headers["stripe-signature"]), secret),
        );
        res.writeHead(200).end("{}");
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  return {
    url,
    events,
    /** Polls (bounded) until an event matching the predicate arrived. */
    async waitFor(predicate: (e: Stripe.Event) => boolean, timeoutMs = 5_000): Promise<Stripe.Event> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no matching webhook within ${timeoutMs} ms; got ${events.map((e) => e.type).join(", ")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
