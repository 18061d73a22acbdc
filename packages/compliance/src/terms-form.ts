import { z } from "zod";
import { CancellationMethodSchema, IntervalSchema, type Terms, type TermsInput } from "./terms";

/**
 * The creator's terms form (studio): flat fields a person can fill in, money in major units
 * ("9.90"), turned into the structured `Terms` by `termsFromForm`. Browser-safe (zod only), so the
 * same schema serves the form and the action.
 */
const Money = z
  .string()
  .trim()
  .regex(/^\d{1,7}([.,]\d{1,2})?$/, { error: "Enter an amount like 9.90" });
const toMinor = (money: string) => Math.round(Number(money.replace(",", ".")) * 100);
const toMajor = (minor: number) => (minor / 100).toFixed(2);

export const TermsFormSchema = z.object({
  productDescription: z.string().trim().min(3).max(500),
  amount: Money,
  currency: z.enum(["EUR", "GBP", "USD"]),
  taxInclusive: z.boolean().default(false),
  interval: IntervalSchema,
  intervalCount: z.number().int().min(1).max(12).default(1),
  autoRenew: z.boolean().default(false),
  afterMinimumTerm: z.enum(["indefinite", "same-term"]).default("indefinite"),
  noticeDays: z.number().int().min(0).max(365).default(0),
  minimumTermMonths: z.number().int().min(0).max(60).default(0),
  /** 0 or empty: no trial. */
  trialDays: z.number().int().min(0).max(365).default(0),
  trialPrice: Money.default("0"),
  cancellationMethods: z.array(CancellationMethodSchema).min(1),
  cancellationUrl: z.string().trim().min(1),
  saveOffers: z.number().int().min(0).max(5).default(0),
  cancelSteps: z.number().int().min(1).max(10),
  withdrawalRight: z.boolean().default(false),
  withdrawalPeriodDays: z.number().int().min(0).max(365).default(0),
  serviceStartsImmediately: z.boolean().default(false),
  exemptReason: z.string().trim().min(3).optional(),
  withdrawalInstructionsUrl: z.string().trim().min(1),
  withdrawalFunctionUrl: z.string().trim().min(1),
  refundDays: z.number().int().min(0).max(90).default(14),
  renewalCoolingOff: z.boolean().default(false),
  traderName: z.string().trim().min(2),
  traderAddress: z.string().trim().min(5),
  traderEmail: z.email(),
  /** An announced reduction: the prior price shown and the lowest price of the 30 days before. */
  priorPrice: Money.optional(),
  lowest30DaysPrice: Money.optional(),
});
export type TermsForm = z.output<typeof TermsFormSchema>;
/** The form's values as strings/booleans, for default values. */
export type TermsFormDefaults = Partial<Record<keyof TermsForm, string | string[] | boolean>>;

export function termsFromForm(f: TermsForm): TermsInput {
  return {
    productDescription: f.productDescription,
    price: { amountMinor: toMinor(f.amount), currency: f.currency, taxInclusive: f.taxInclusive },
    interval: f.interval,
    intervalCount: f.intervalCount,
    renewal: { automatic: f.autoRenew, afterMinimumTerm: f.afterMinimumTerm, noticeDays: f.noticeDays },
    minimumTermMonths: f.minimumTermMonths,
    trial: f.trialDays > 0 ? { days: f.trialDays, priceMinor: toMinor(f.trialPrice) } : null,
    cancellation: {
      methods: [...new Set(f.cancellationMethods)],
      url: f.cancellationUrl,
      saveOffers: f.saveOffers,
      steps: f.cancelSteps,
    },
    withdrawal: {
      right: f.withdrawalRight,
      periodDays: f.withdrawalPeriodDays,
      serviceStartsImmediately: f.serviceStartsImmediately,
      exemptReason: f.exemptReason ?? null,
      instructionsUrl: f.withdrawalInstructionsUrl,
      functionUrl: f.withdrawalFunctionUrl,
      refundDays: f.refundDays,
      renewalCoolingOff: f.renewalCoolingOff,
    },
    trader: { name: f.traderName, address: f.traderAddress, email: f.traderEmail },
    discount:
      f.priorPrice !== undefined && f.lowest30DaysPrice !== undefined
        ? { priorPriceShownMinor: toMinor(f.priorPrice), lowest30DaysMinor: toMinor(f.lowest30DaysPrice) }
        : null,
  };
}

export function termsToForm(t: Terms): TermsFormDefaults {
  return {
    productDescription: t.productDescription,
    amount: toMajor(t.price.amountMinor),
    currency: t.price.currency,
    taxInclusive: t.price.taxInclusive,
    interval: t.interval,
    intervalCount: String(t.intervalCount),
    autoRenew: t.renewal.automatic,
    afterMinimumTerm: t.renewal.afterMinimumTerm,
    noticeDays: String(t.renewal.noticeDays),
    minimumTermMonths: String(t.minimumTermMonths),
    trialDays: String(t.trial?.days ?? 0),
    trialPrice: toMajor(t.trial?.priceMinor ?? 0),
    cancellationMethods: t.cancellation.methods,
    cancellationUrl: t.cancellation.url,
    saveOffers: String(t.cancellation.saveOffers),
    cancelSteps: String(t.cancellation.steps),
    withdrawalRight: t.withdrawal.right,
    withdrawalPeriodDays: String(t.withdrawal.periodDays),
    serviceStartsImmediately: t.withdrawal.serviceStartsImmediately,
    exemptReason: t.withdrawal.exemptReason ?? "",
    withdrawalInstructionsUrl: t.withdrawal.instructionsUrl,
    withdrawalFunctionUrl: t.withdrawal.functionUrl,
    refundDays: String(t.withdrawal.refundDays),
    renewalCoolingOff: t.withdrawal.renewalCoolingOff,
    traderName: t.trader.name,
    traderAddress: t.trader.address,
    traderEmail: t.trader.email,
    priorPrice: t.discount ? toMajor(t.discount.priorPriceShownMinor) : "",
    lowest30DaysPrice: t.discount ? toMajor(t.discount.lowest30DaysMinor) : "",
  };
}

/** A first draft's starting point: monthly, auto-renewing, cancellable online, with the withdrawal right. */
export function starterTermsForm(traderName: string): TermsFormDefaults {
  return {
    productDescription: "",
    amount: "",
    currency: "EUR",
    taxInclusive: true,
    interval: "month",
    intervalCount: "1",
    autoRenew: true,
    afterMinimumTerm: "indefinite",
    noticeDays: "0",
    minimumTermMonths: "0",
    trialDays: "0",
    trialPrice: "0",
    cancellationMethods: ["online"],
    cancellationUrl: "/cancel",
    saveOffers: "0",
    cancelSteps: "2",
    withdrawalRight: true,
    withdrawalPeriodDays: "14",
    serviceStartsImmediately: true,
    withdrawalInstructionsUrl: "/legal/withdrawal",
    withdrawalFunctionUrl: "/withdraw",
    refundDays: "14",
    renewalCoolingOff: false,
    traderName,
    traderAddress: "",
    traderEmail: "",
  };
}
