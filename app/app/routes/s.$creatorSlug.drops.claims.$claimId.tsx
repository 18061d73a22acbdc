import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useState } from "react";
import { z } from "zod";
import { formatMoney } from "@kiln/compliance/disclosure";
import {
  cancelClaim,
  completeClaimPayment,
  getOrderPage,
  payForClaim,
  startClaimCheckout,
  type OrderPage,
} from "@kiln/drops";
import { AppError } from "@kiln/core";
import { requireUser } from "../auth.server";
import { requireBilling } from "../billing.server";
import { GoodsOrderSummary } from "../components/goods-order-summary";
import { isAppErrorLike, notFound, statusOf } from "../errors.server";
import { buildGoodsDisclosure, type GoodsOrderTerms } from "../goods-disclosure";
import { resolveLocale } from "../i18n.server";
import { translateMessage } from "../i18n/messages-de";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Order · Kiln" }];

const ParamsSchema = z.object({ creatorSlug: z.string().min(1).max(80), claimId: z.uuid() });
const SessionSchema = z.string().regex(/^cs_[A-Za-z0-9_]+$/);

/** The goods order terms of a claim, as the disclosure shows them (null: the seller has no approved details). */
function orderTerms(page: OrderPage): GoodsOrderTerms | null {
  if (!page.seller) return null;
  return {
    productTitle: page.product.title,
    description: page.product.description,
    quantity: page.claim.quantity,
    priceMinor: page.product.priceMinor,
    deliveryMinor: page.product.deliveryMinor,
    currency: page.product.currency,
    withdrawalExemptionReason: page.product.withdrawalExemptionReason,
    shipBy: page.drop.shipBy,
    trader: page.seller.trader,
    withdrawalFunctionUrl: page.seller.withdrawalFunctionUrl,
    withdrawalInstructionsUrl: page.seller.withdrawalInstructionsUrl,
  };
}

async function loadPage(args: LoaderFunctionArgs | ActionFunctionArgs) {
  const user = requireUser(args.context, args.request);
  const parsed = ParamsSchema.safeParse(args.params);
  if (!parsed.success) return notFound();
  const page = await getOrderPage(args.context.rt, { userId: user.id }, parsed.data.claimId).catch((error: unknown) => {
    if (isAppErrorLike(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  });
  if (page.creator.slug !== parsed.data.creatorSlug) notFound();
  return { user, page, ...parsed.data };
}

/**
 * Kiln's goods order page (issue 8 §4): the hold countdown, "add a card" (setup Checkout on the
 * creator's account), the shipping address, the totals with delivery and taxes, and compliance's goods
 * disclosure directly above the order button. Back from 3-D Secure it finishes the order.
 */
export async function loader(args: LoaderFunctionArgs) {
  const { user, page, creatorSlug, claimId } = await loadPage(args);
  const { request, context } = args;
  const url = new URL(request.url);
  if (url.searchParams.get("payment_intent") && page.payment && !page.order) {
    const billing = requireBilling(context);
    try {
      const result = await completeClaimPayment(context.rt, billing.stripe, { userId: user.id }, claimId);
      if (result.status === "ordered")
        return redirectWithToast(context, "/account/orders", { kind: "success", key: "drops.ordered" });
      return redirect(result.redirectUrl);
    } catch (error) {
      if (!isAppErrorLike(error)) throw error;
      return redirect(`/s/${creatorSlug}/drops/claims/${claimId}`);
    }
  }
  const session = SessionSchema.safeParse(url.searchParams.get("session"));
  return {
    creatorSlug,
    creator: page.creator,
    claim: {
      id: page.claim.id,
      status: page.claim.status,
      expiresAt: page.claim.expiresAt.toISOString(),
      quantity: page.claim.quantity,
    },
    drop: { id: page.drop.id, title: page.drop.title },
    terms: orderTerms(page),
    totals: {
      items: page.itemsMinor,
      delivery: page.deliveryMinor,
      total: page.totalMinor,
      currency: page.product.currency,
    },
    now: context.rt.clock.now().toISOString(),
    isHeld: page.claim.status === "reserved" && page.claim.expiresAt > context.rt.clock.now(),
    isOrdered: Boolean(page.order),
    session: session.success ? session.data : null,
    locale: resolveLocale(request, user),
  };
}

const ActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("card") }),
  z.object({ intent: z.literal("cancel") }),
  z.object({
    intent: z.literal("order"),
    session: z.string(),
    name: z.string().default(""),
    line1: z.string().default(""),
    line2: z.string().optional(),
    postalCode: z.string().default(""),
    city: z.string().default(""),
    country: z.string().default(""),
  }),
]);

function formError(error: unknown) {
  if (!isAppErrorLike(error)) throw error;
  if (error.code === "NOT_FOUND") notFound(error.message);
  return data(
    {
      formError: error.message,
      code: error.code,
      fields: (error as { fields?: Record<string, string[]> }).fields ?? {},
    },
    { status: statusOf(error) },
  );
}

/** One package call per intent: add a card, let go of the unit, or the order button. */
export async function action(args: ActionFunctionArgs) {
  const { user, page, creatorSlug, claimId } = await loadPage(args);
  const { request, context } = args;
  const form = ActionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!form.success) return formError(new AppError("BAD_INPUT", "The form was incomplete"));
  const member = { userId: user.id };
  const here = new URL(`/s/${creatorSlug}/drops/claims/${claimId}`, request.url).href;
  try {
    if (form.data.intent === "cancel") {
      await cancelClaim(context.rt, member, claimId);
      return redirectWithToast(context, `/s/${creatorSlug}/drops/${page.drop.id}`, {
        kind: "success",
        key: "drops.released",
      });
    }
    const billing = requireBilling(context);
    if (form.data.intent === "card") {
      const checkout = await startClaimCheckout(context.rt, billing.stripe, member, {
        claimId,
        successUrl: `${here}?session={CHECKOUT_SESSION_ID}`,
        cancelUrl: here,
      });
      return redirect(checkout.url);
    }
    const terms = orderTerms(page);
    if (!terms) throw new AppError("CONFLICT", "This creator cannot take orders yet");
    const locale = resolveLocale(request, user);
    // The disclosure consented to is rebuilt on the server, never taken from the form.
    const model = buildGoodsDisclosure(terms, locale);
    const { session, intent: _intent, ...address } = form.data;
    const result = await payForClaim(context.rt, billing.stripe, member, {
      claimId,
      checkoutSessionId: session,
      address,
      disclosureText: model.text,
      buttonLabel: model.buttonLabel,
      locale,
      returnUrl: here,
    });
    if (result.status === "requires_action") return redirect(result.redirectUrl);
    return redirectWithToast(context, "/account/orders", { kind: "success", key: "drops.ordered" });
  } catch (error) {
    return formError(error);
  }
}

const AUTOCOMPLETE = {
  name: "name",
  line1: "address-line1",
  line2: "address-line2",
  postalCode: "postal-code",
  city: "address-level2",
  country: "country",
} as const;

/** Minutes and seconds left on the hold, ticking in the browser from the server's clock. */
function HoldCountdown({ expiresAt, now }: { expiresAt: string; now: string }) {
  const t = useT();
  const [left, setLeft] = useState(() => new Date(expiresAt).getTime() - new Date(now).getTime());
  useEffect(() => {
    const offset = new Date(now).getTime() - Date.now();
    const timer = setInterval(() => setLeft(new Date(expiresAt).getTime() - (Date.now() + offset)), 1000);
    return () => clearInterval(timer);
  }, [expiresAt, now]);
  if (left <= 0) return <p role="alert">{t("drops.holdExpired")}</p>;
  const seconds = Math.floor(left / 1000);
  return (
    <p data-hold-countdown="" aria-live="polite">
      {t("drops.holdLeft", { minutes: Math.floor(seconds / 60), seconds: String(seconds % 60).padStart(2, "0") })}
    </p>
  );
}

export default function ClaimOrderPage() {
  const { creatorSlug, creator, claim, drop, terms, totals, now, isHeld, isOrdered, session, locale } =
    useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const uiLocale = useLocale();
  const fields = result && "fields" in result ? result.fields : {};
  const fieldError = (name: string) =>
    fields[`address.${name}`]?.map((m) => (
      <span key={m} className="field-error" role="alert">
        {translateMessage(uiLocale, m)}
      </span>
    ));
  const money = (minor: number) => formatMoney(minor, totals.currency, uiLocale);
  return (
    <section className="card" aria-labelledby="claim-title">
      <p>
        <Link to={`/s/${creatorSlug}/drops/${drop.id}`}>← {drop.title}</Link>
      </p>
      <h1 id="claim-title">{t("drops.orderTitle", { title: drop.title })}</h1>
      {result && "formError" in result ? (
        <p className="form-error" role="alert">
          {translateMessage(uiLocale, result.formError)}
        </p>
      ) : null}
      {isOrdered ? (
        <p>
          {t("drops.alreadyOrdered")} <Link to="/account/orders">{t("drops.viewOrders")}</Link>
        </p>
      ) : !isHeld ? (
        <p role="alert">{t("drops.holdExpired")}</p>
      ) : (
        <>
          <HoldCountdown expiresAt={claim.expiresAt} now={now} />
          <p data-totals="">
            {t("drops.totals", {
              items: money(totals.items),
              delivery: money(totals.delivery),
              total: money(totals.total),
            })}
          </p>
          {!terms ? (
            <p className="empty">{t("drops.noSeller")}</p>
          ) : !session ? (
            <Form method="post">
              <p>{t("drops.addCardLead", { creator: creator.displayName })}</p>
              <input type="hidden" name="intent" value="card" />
              <button type="submit">{t("drops.addCard")}</button>
            </Form>
          ) : (
            <GoodsOrderSummary
              terms={terms}
              locale={locale}
              before={
                <fieldset>
                  <legend>{t("drops.address")}</legend>
                  {(["name", "line1", "line2", "postalCode", "city", "country"] as const).map((name) => (
                    <p key={name}>
                      <label htmlFor={`address-${name}`}>{t(`drops.address.${name}`)}</label>
                      <input
                        id={`address-${name}`}
                        name={name}
                        required={name !== "line2"}
                        autoComplete={AUTOCOMPLETE[name]}
                        maxLength={name === "country" ? 2 : 200}
                      />
                      {fieldError(name)}
                    </p>
                  ))}
                </fieldset>
              }
            >
              <input type="hidden" name="intent" value="order" />
              <input type="hidden" name="session" value={session} />
            </GoodsOrderSummary>
          )}
          <Form method="post">
            <input type="hidden" name="intent" value="cancel" />
            <button type="submit" className="secondary">
              {t("drops.letGo")}
            </button>
          </Form>
        </>
      )}
    </section>
  );
}
