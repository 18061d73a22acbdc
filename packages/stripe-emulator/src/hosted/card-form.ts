import { cardError } from "../cards";
import type { FormObject } from "../form";
import type { CardInput } from "../resources/payment-methods";

/** Reads the hosted pages' card fields (`cardnumber`, `exp` as MM/YY, `cvc`). */
export function readCardForm(form: FormObject): CardInput {
  const number = typeof form.cardnumber === "string" ? form.cardnumber : "";
  const exp = typeof form.exp === "string" ? form.exp : "";
  const cvc = typeof form.cvc === "string" ? form.cvc.trim() : "";
  const m = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(exp);
  if (!number.trim()) throw cardError("Your card number is incomplete.", "incomplete_number", "card[number]");
  if (!m) throw cardError("Your card's expiration date is incomplete.", "incomplete_expiry", "card[exp_month]");
  return { number, expMonth: Number(m[1]), expYear: Number(m[2]), ...(cvc ? { cvc } : {}) };
}

export function field(form: FormObject, name: string): string {
  const v = form[name];
  return typeof v === "string" ? v : "";
}
