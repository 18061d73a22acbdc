import { clone, type Emulator } from "../emulator";
import {
  createDraftInvoice,
  getInvoice,
  payInvoice,
  voidInvoice,
  invoiceSubscription,
  type StoredInvoice,
} from "../resources/invoices";
import {
  cancelSubscriptionNow,
  endTrial,
  invoicePeriod,
  nextPeriodEnd,
  periodOf,
  saveSubscription,
  type StoredSubscription,
} from "../resources/subscriptions";
import type { Scope } from "../store";
import { DAYS, INCOMPLETE_EXPIRY_SECONDS, TRIAL_WILL_END_DAYS, UPCOMING_INVOICE_DAYS } from "./periods";

interface Due {
  key: string;
  at: number;
  run: () => void;
}

/** Work that threw once (a bug or broken state) is skipped afterwards instead of failing every request. */
const failed = new WeakMap<Emulator, Set<string>>();

function noticeSent(emu: Emulator, subId: string, key: string): boolean {
  return (emu.store.state.notices[subId] ?? []).includes(key);
}

function markNotice(emu: Emulator, subId: string, key: string) {
  (emu.store.state.notices[subId] ??= []).push(key);
  emu.store.changed();
}

/** Starts the next period of a subscription: cancels instead when cancellation was scheduled. */
function renew(emu: Emulator, scope: Scope, sub: StoredSubscription) {
  const { end } = periodOf(sub);
  if (sub.cancel_at_period_end || (sub.cancel_at !== null && sub.cancel_at <= end)) {
    cancelSubscriptionNow(emu, scope, sub, "cancellation_requested");
    return;
  }
  const before = clone(sub);
  const next = nextPeriodEnd(sub, end);
  for (const item of sub.items.data) {
    item.current_period_start = end;
    item.current_period_end = next;
  }
  saveSubscription(emu, scope, sub, before);
  if (sub.status === "unpaid") {
    // Stripe keeps invoicing an unpaid subscription as drafts, without trying to collect.
    createDraftInvoice(emu, scope, {
      customer: sub.customer,
      currency: sub.currency,
      subscription: sub.id,
      billingReason: "subscription_cycle",
      period: { start: end, end: next },
      lines: [],
    });
    return;
  }
  invoicePeriod(emu, scope, sub, "subscription_cycle", { start: end, end: next });
}

function subscriptionDues(emu: Emulator, scope: Scope, sub: StoredSubscription, dues: Due[]) {
  const { end } = periodOf(sub);
  if (sub.status === "trialing" && sub.trial_end !== null) {
    const noticeAt = sub.trial_end - DAYS(TRIAL_WILL_END_DAYS);
    const key = `trial_will_end:${sub.trial_end}`;
    if (!noticeSent(emu, sub.id, key))
      dues.push({
        key: `${sub.id}:${key}`,
        at: Math.max(noticeAt, sub.start_date),
        run: () => {
          markNotice(emu, sub.id, key);
          emu.emit(scope, "customer.subscription.trial_will_end", sub);
        },
      });
    dues.push({ key: `${sub.id}:trial_end`, at: sub.trial_end, run: () => endTrial(emu, scope, sub) });
    return;
  }
  if (sub.status === "incomplete") {
    dues.push({
      key: `${sub.id}:expire`,
      at: sub.created + INCOMPLETE_EXPIRY_SECONDS,
      run: () => {
        const before = clone(sub);
        sub.status = "incomplete_expired";
        sub.ended_at = emu.now();
        if (typeof sub.latest_invoice === "string") {
          const invoice = getInvoice(emu, scope, sub.latest_invoice);
          if (invoice.status === "open") voidInvoice(emu, scope, invoice);
        }
        saveSubscription(emu, scope, sub, before);
      },
    });
    return;
  }
  if (!["active", "past_due", "unpaid"].includes(sub.status)) return;
  const resumesAt = sub.pause_collection?.resumes_at;
  if (resumesAt)
    dues.push({
      key: `${sub.id}:resume:${resumesAt}`,
      at: resumesAt,
      run: () => {
        const before = clone(sub);
        sub.pause_collection = null;
        saveSubscription(emu, scope, sub, before);
      },
    });
  if (sub.cancel_at !== null && sub.cancel_at < end) {
    dues.push({
      key: `${sub.id}:cancel_at`,
      at: sub.cancel_at,
      run: () => cancelSubscriptionNow(emu, scope, sub, "cancellation_requested"),
    });
    return;
  }
  const upcomingKey = `upcoming:${end}`;
  if (sub.status === "active" && !sub.cancel_at_period_end && !noticeSent(emu, sub.id, upcomingKey))
    dues.push({
      key: `${sub.id}:${upcomingKey}`,
      at: Math.max(end - DAYS(UPCOMING_INVOICE_DAYS), periodOf(sub).start + 1),
      run: () => {
        markNotice(emu, sub.id, upcomingKey);
        // Stripe's invoice.upcoming carries a preview invoice without an id.
        const preview = {
          ...clone(sub),
          object: "invoice",
          id: "",
          subscription: sub.id,
          amount_due: sub.items.data.reduce((s, i) => s + (i.price.unit_amount ?? 0) * (i.quantity ?? 1), 0),
          period_start: end,
          period_end: nextPeriodEnd(sub, end),
          customer: sub.customer,
        };
        emu.emit(scope, "invoice.upcoming", preview);
      },
    });
  dues.push({ key: `${sub.id}:renew:${end}`, at: end, run: () => renew(emu, scope, sub) });
}

function invoiceDues(emu: Emulator, scope: Scope, invoice: StoredInvoice, dues: Due[]) {
  if (invoice.status !== "open" || invoice.next_payment_attempt === null) return;
  dues.push({
    key: `${invoice.id}:retry:${invoice.attempt_count}`,
    at: invoice.next_payment_attempt,
    run: () => {
      const subId = invoiceSubscription(invoice);
      const sub = subId ? (emu.store.get(scope, subId, "subscription") as StoredSubscription | undefined) : undefined;
      if (sub && (sub.status === "canceled" || sub.status === "incomplete_expired")) {
        invoice.next_payment_attempt = null;
        emu.store.put(scope, invoice);
        return;
      }
      payInvoice(emu, scope, invoice);
    },
  });
}

function nextDue(emu: Emulator): Due | undefined {
  const dues: Due[] = [];
  for (const scope of emu.store.scopes()) {
    for (const sub of emu.store.all(scope, "subscription"))
      subscriptionDues(emu, scope, sub as StoredSubscription, dues);
    for (const invoice of emu.store.all(scope, "invoice")) invoiceDues(emu, scope, invoice as StoredInvoice, dues);
  }
  const skip = failed.get(emu);
  let best: Due | undefined;
  for (const d of dues) if ((!best || d.at < best.at) && !skip?.has(d.key)) best = d;
  return best;
}

const MAX_STEPS = 100_000;

/** Runs everything due up to `target` in time order; with `moveClock` the clock steps to each moment first. */
export function runUntil(emu: Emulator, target: number, moveClock: boolean) {
  for (let i = 0; i < MAX_STEPS; i++) {
    const due = nextDue(emu);
    if (!due || due.at > target) break;
    if (moveClock) emu.clock.setTo(due.at);
    try {
      due.run();
    } catch (error) {
      console.error("[stripe-emulator] scheduled work failed; skipping it from now on", error);
      const set = failed.get(emu) ?? new Set<string>();
      set.add(due.key);
      failed.set(emu, set);
    }
  }
  if (moveClock) emu.clock.setTo(target);
}

export function installBillingEngine(emu: Emulator) {
  emu.runDue = () => runUntil(emu, emu.now(), false);
}

/** Test clock: moves the emulator's time forward, running renewals, trial ends and retries on the way. */
export function advanceClock(emu: Emulator, seconds: number): number {
  if (!(seconds > 0)) return emu.now();
  runUntil(emu, emu.now() + Math.floor(seconds), true);
  return emu.now();
}
