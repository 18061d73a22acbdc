import { StripeApiError } from "./errors";
import type { CardBehaviour } from "./store";

/** Stripe's test cards that Kiln's tests use, with the behaviour each stands for. */
export const TEST_CARDS: Record<string, { brand: string; behaviour: CardBehaviour }> = {
  "4242424242424242": { brand: "visa", behaviour: "success" },
  "4000056655665556": { brand: "visa", behaviour: "success" },
  "5555555555554444": { brand: "mastercard", behaviour: "success" },
  "4000000000000002": { brand: "visa", behaviour: "decline" },
  "4000000000009995": { brand: "visa", behaviour: "insufficient_funds" },
  "4000002760003184": { brand: "visa", behaviour: "authentication_required" },
  "4000000000003220": { brand: "visa", behaviour: "authentication_required" },
};

/** Stripe's magic test payment method ids and tokens → the test card they stand for. */
export const MAGIC_PAYMENT_METHODS: Record<string, string> = {
  pm_card_visa: "4242424242424242",
  pm_card_mastercard: "5555555555554444",
  pm_card_chargeDeclined: "4000000000000002",
  pm_card_visa_chargeDeclined: "4000000000000002",
  pm_card_chargeDeclinedInsufficientFunds: "4000000000009995",
  pm_card_visa_chargeDeclinedInsufficientFunds: "4000000000009995",
  pm_card_authenticationRequired: "4000002760003184",
  pm_card_threeDSecure2Required: "4000000000003220",
  tok_visa: "4242424242424242",
  tok_mastercard: "5555555555554444",
  tok_chargeDeclined: "4000000000000002",
  tok_chargeDeclinedInsufficientFunds: "4000000000009995",
  tok_threeDSecure2Required: "4000000000003220",
};

function luhn(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function brandOf(number: string): string {
  if (number.startsWith("4")) return "visa";
  if (/^5[1-5]/.test(number) || /^2[2-7]/.test(number)) return "mastercard";
  if (/^3[47]/.test(number)) return "amex";
  return "unknown";
}

export interface CardDetails {
  brand: string;
  last4: string;
  behaviour: CardBehaviour;
}

export function cardError(message: string, code: string, param?: string, declineCode?: string): StripeApiError {
  return new StripeApiError(402, {
    type: "card_error",
    message,
    code,
    ...(param ? { param } : {}),
    ...(declineCode ? { decline_code: declineCode } : {}),
  });
}

/** Validates a card number like Stripe does (digits, length, Luhn) and returns what it will do. */
export function readCardNumber(raw: string, param = "card[number]"): CardDetails {
  const number = raw.replace(/[\s-]/g, "");
  if (!/^\d{12,19}$/.test(number) || !luhn(number))
    throw cardError("Your card number is incorrect.", "incorrect_number", param);
  const known = TEST_CARDS[number];
  return { brand: known?.brand ?? brandOf(number), last4: number.slice(-4), behaviour: known?.behaviour ?? "success" };
}

export function checkExpiry(month: number, year: number, now: Date) {
  if (month < 1 || month > 12)
    throw cardError("Your card's expiration month is invalid.", "invalid_expiry_month", "card[exp_month]");
  const y = year < 100 ? 2000 + year : year;
  const endOfMonth = Date.UTC(y, month, 1);
  if (endOfMonth <= now.getTime())
    throw cardError("Your card's expiration year is invalid.", "invalid_expiry_year", "card[exp_year]");
}

export type Decline = { code: string; declineCode: string; message: string };

export const DECLINES: Record<"decline" | "insufficient_funds" | "authentication_required", Decline> = {
  decline: { code: "card_declined", declineCode: "generic_decline", message: "Your card was declined." },
  insufficient_funds: {
    code: "card_declined",
    declineCode: "insufficient_funds",
    message: "Your card has insufficient funds.",
  },
  authentication_required: {
    code: "authentication_required",
    declineCode: "authentication_required",
    message: "Your card was declined. This transaction requires authentication.",
  },
};
