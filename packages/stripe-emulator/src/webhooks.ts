import { signPayload } from "./signature";

export interface WebhookEndpointConfig {
  url: string;
  secret: string;
  /** Receives events of connected accounts (those carry `account`) instead of the platform's own. */
  connect?: boolean;
}

export type DeliveryOutcome = "delivered" | "failed" | "dropped" | "overflow" | "gave_up";

export interface DeliveryLogEntry {
  seq: number;
  event: string;
  type: string;
  account: string | null;
  url: string;
  attempt: number;
  outcome: DeliveryOutcome;
  status: number | null;
  error?: string;
  /** Real time of the attempt (ISO); the emulator clock may be far ahead. */
  at: string;
}

export interface WebhookOptions {
  /** Delay before each retry after a failure; the number of entries is the number of retries. */
  retryDelaysMs?: number[];
  /** Events waiting for delivery beyond this are not queued (logged as `overflow`; still in /v1/events). */
  maxQueue?: number;
  timeoutMs?: number;
}

interface Job {
  eventId: string;
  type: string;
  account: string | null;
  payload: string;
  endpoint: WebhookEndpointConfig;
  attempt: number;
}

/** Stripe retries over days; the emulator keeps the shape (exponential backoff) on a shorter schedule. */
export const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000];
const LOG_LIMIT = 2_000;

/**
 * Delivers events asynchronously, one request at a time, signed with Stripe's scheme; failed
 * deliveries (non-2xx, connection refused, timeout) are retried with backoff. Test controls can drop,
 * duplicate or hold-and-reorder deliveries.
 */
export class WebhookDispatcher {
  readonly log: DeliveryLogEntry[] = [];
  private queue: Job[] = [];
  private held: Job[] = [];
  private holding = false;
  private dropCount = 0;
  private duplicateCount = 0;
  private running = false;
  private timers = new Set<NodeJS.Timeout>();
  private seq = 0;
  private stopped = false;
  private waiters: Array<() => void> = [];
  private readonly retryDelaysMs: number[];
  private readonly maxQueue: number;
  private readonly timeoutMs: number;
  /** `event|url` pairs already delivered once (a duplicate or redelivery does not count again). */
  private delivered = new Set<string>();
  /** Called on an event's first successful delivery to an endpoint (the emulator lowers `pending_webhooks`). */
  onDelivered: (eventId: string, account: string | null) => void = () => undefined;

  constructor(
    readonly endpoints: WebhookEndpointConfig[],
    options: WebhookOptions = {},
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Endpoints an event goes to: Connect endpoints get connected accounts' events, others the platform's. */
  matching(account: string | null): WebhookEndpointConfig[] {
    return this.endpoints.filter((e) => Boolean(e.connect) === (account !== null));
  }

  enqueue(event: { id: string; type: string; account?: string | null }, payload: string) {
    const account = event.account ?? null;
    for (const endpoint of this.matching(account)) {
      const job: Job = { eventId: event.id, type: event.type, account, payload, endpoint, attempt: 1 };
      if (this.dropCount > 0) {
        this.dropCount--;
        this.record(job, "dropped", null);
        continue;
      }
      const copies = this.duplicateCount > 0 ? 2 : 1;
      if (copies === 2) this.duplicateCount--;
      for (let i = 0; i < copies; i++) this.push({ ...job });
    }
  }

  /** Delivers an already sent event again (as Stripe does for a manual resend). */
  redeliver(event: { id: string; type: string; account?: string | null }, payload: string) {
    const account = event.account ?? null;
    for (const endpoint of this.matching(account))
      this.push({ eventId: event.id, type: event.type, account, payload, endpoint, attempt: 1 });
  }

  private push(job: Job) {
    if (this.stopped) return;
    if (this.holding) {
      this.held.push(job);
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.record(job, "overflow", null);
      return;
    }
    this.queue.push(job);
    void this.run();
  }

  dropNext(count = 1) {
    this.dropCount += count;
  }
  duplicateNext(count = 1) {
    this.duplicateCount += count;
  }
  /** Holds deliveries until `release`: with `reverse`, the held batch goes out newest first. */
  hold() {
    this.holding = true;
  }
  release(order: "original" | "reverse" = "original"): number {
    this.holding = false;
    const batch = order === "reverse" ? this.held.reverse() : this.held;
    this.held = [];
    for (const job of batch) this.push(job);
    return batch.length;
  }

  /** Deliveries queued, held, being sent or waiting for a retry. */
  pending(): number {
    return this.queue.length + this.held.length + this.timers.size + (this.running ? 1 : 0);
  }

  /** Resolves when nothing is queued, in flight or waiting to be retried (held deliveries excluded). */
  async idle(): Promise<void> {
    if (this.pending() - this.held.length === 0) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private notifyIdle() {
    if (this.pending() - this.held.length > 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private record(job: Job, outcome: DeliveryOutcome, status: number | null, error?: string) {
    this.log.push({
      seq: ++this.seq,
      event: job.eventId,
      type: job.type,
      account: job.account,
      url: job.endpoint.url,
      attempt: job.attempt,
      outcome,
      status,
      ...(error ? { error } : {}),
      at: new Date().toISOString(),
    });
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  private async run() {
    if (this.running) return;
    this.running = true;
    try {
      let job: Job | undefined;
      while (!this.stopped && (job = this.queue.shift())) await this.deliver(job);
    } finally {
      this.running = false;
      this.notifyIdle();
    }
  }

  private async deliver(job: Job) {
    // Signed with the real time: receivers compare it with their own clock (tolerance 300 s).
    const signature = signPayload(job.payload, job.endpoint.secret, Math.floor(Date.now() / 1000));
    let status: number | null = null;
    let error: string | undefined;
    try {
      const response = await fetch(job.endpoint.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
          "Stripe-Signature": signature,
        },
        body: job.payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (e) {
      error = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    }
    if (status !== null && status >= 200 && status < 300) {
      this.record(job, "delivered", status);
      const key = `${job.eventId}|${job.endpoint.url}`;
      if (!this.delivered.has(key)) {
        this.delivered.add(key);
        if (this.delivered.size > 100_000) this.delivered.clear();
        this.onDelivered(job.eventId, job.account);
      }
      return;
    }
    const delay = this.retryDelaysMs[job.attempt - 1];
    if (delay === undefined) {
      this.record(job, "gave_up", status, error);
      return;
    }
    this.record(job, "failed", status, error);
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.push({ ...job, attempt: job.attempt + 1 });
      this.notifyIdle();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  clear() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue = [];
    this.held = [];
    this.holding = false;
    this.dropCount = 0;
    this.duplicateCount = 0;
    this.log.length = 0;
    this.delivered.clear();
    this.notifyIdle();
  }

  stop() {
    this.stopped = true;
    this.clear();
  }
}
