import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, type ShouldRevalidateFunction } from "@remix-run/react";
import { z } from "zod";
import { formatMoney } from "@kiln/compliance/disclosure";
import {
  claimDrop,
  getDropGate,
  getRemaining,
  joinWaitlist,
  leaveWaitlist,
  listStorefrontDrops,
  waitlistPosition,
} from "@kiln/drops";
import { AppError } from "@kiln/core";
import { listViewConsentChoices } from "@kiln/personalization";
import { trackProductView } from "@kiln/personalization/device-history";
import { requireUser } from "../auth.server";
import { billingFormError, throwAsPage } from "../billing.server";
import { OpensCountdown } from "../components/countdown";
import { notFound } from "../errors.server";
import { translateMessage } from "../i18n/messages-de";
import { useLocale, useT } from "../i18n/react";
import { useEffect } from "react";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.drop.title ?? "Drop"} · Kiln` }];

const ParamsSchema = z.object({ creatorSlug: z.string().min(1).max(80), dropId: z.uuid() });

/** A drop on the storefront: price with delivery, units left, and the claim button (signed-in members). */
export async function loader({ params, context }: LoaderFunctionArgs) {
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) return notFound();
  const { creator, drops } = await listStorefrontDrops(context.rt, parsed.data.creatorSlug).catch(throwAsPage);
  const drop = drops.find((d) => d.id === parsed.data.dropId) ?? notFound();
  return {
    creator,
    drop,
    remaining: await getRemaining(context.rt, drop.id),
    signedIn: Boolean(context.auth),
    // Which tiers may claim, and whether this member holds one: a member who does not is offered the tier.
    gate: await getDropGate(context.rt, drop.id, context.auth?.user.id ?? null),
    now: context.rt.clock.now().toISOString(),
    waitlistPosition: context.auth
      ? await waitlistPosition(context.rt, { userId: context.auth.user.id }, drop.id)
      : null,
    // One key per rendering of the button: a double press (or a retry) returns the same claim.
    idempotencyKey: crypto.randomUUID(),
    // Issue 9: the browser keeps this view (and its dwell) on the device; only with the member's
    // page-view consent for this creator is it also sent to Kiln's first-party beacon.
    viewBeaconUrl:
      context.auth && (await sharesViewsWith(context.rt, context.auth.user.id, creator.id))
        ? "/api/v1/personalization/views"
        : null,
  };
}

async function sharesViewsWith(rt: LoaderFunctionArgs["context"]["rt"], userId: string, creatorId: string) {
  const choices = await listViewConsentChoices(rt, { userId });
  return choices.some((choice) => {
    const creator = choice.creators.find((c) => c.id === creatorId);
    return creator !== undefined && (choice.allCreators || creator.granted);
  });
}

/**
 * Reload the drop after every submission, also a refused one (Remix skips that after a 4xx): a claim
 * refused as sold out then shows the waitlist at once.
 */
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod?.toUpperCase() === "POST" || defaultShouldRevalidate;

const FormSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("claim"), idempotencyKey: z.string().min(8).max(255) }),
  z.object({ intent: z.literal("waitlist") }),
  z.object({ intent: z.literal("leave") }),
]);

/**
 * The claim button (the member lands on the order page with the hold running), or joining / leaving
 * a sold-out drop's waitlist: one package call each.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const parsed = ParamsSchema.safeParse(params);
  if (!parsed.success) return notFound();
  const form = FormSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!form.success) return billingFormError(new AppError("BAD_INPUT", "The form was incomplete"));
  const member = { userId: user.id };
  const here = `/s/${parsed.data.creatorSlug}/drops/${parsed.data.dropId}`;
  try {
    if (form.data.intent === "waitlist") {
      await joinWaitlist(context.rt, member, parsed.data.dropId);
      return redirect(here);
    }
    if (form.data.intent === "leave") {
      await leaveWaitlist(context.rt, member, parsed.data.dropId);
      return redirect(here);
    }
    const claim = await claimDrop(context.rt, member, {
      dropId: parsed.data.dropId,
      quantity: 1,
      idempotencyKey: form.data.idempotencyKey,
    });
    return redirect(`/s/${parsed.data.creatorSlug}/drops/claims/${claim.id}`);
  } catch (error) {
    return billingFormError(error);
  }
}

export default function DropPage() {
  const {
    creator,
    drop,
    remaining,
    signedIn,
    idempotencyKey,
    waitlistPosition: position,
    now,
    gate,
    viewBeaconUrl,
  } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = useT();
  const locale = useLocale();
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  // Early access: members of an early-access tier (or a higher one) claim before the drop opens.
  // The view and its dwell go to this device's history when the member leaves the page (one view
  // per visit: a revalidation after a form post brings equal tags in a new array).
  const productTags = drop.productTags.join("\n");
  useEffect(
    () =>
      trackProductView(
        { productId: drop.productId, tags: productTags ? productTags.split("\n") : [] },
        { consentedBeaconUrl: viewBeaconUrl },
      ),
    [drop.productId, productTags, viewBeaconUrl],
  );
  const isOpenForMe =
    drop.isOpen || (gate.isEarlyAccess && drop.earlyAccessAt !== null && new Date(drop.earlyAccessAt) <= new Date(now));
  return (
    <section className="card" aria-labelledby="drop-title">
      <p>
        <Link to={`/s/${creator.slug}`}>← {creator.displayName}</Link>
      </p>
      <h1 id="drop-title">{drop.title}</h1>
      <p>{drop.productTitle}</p>
      {drop.productTags.length ? (
        <p className="muted" data-product-tags={drop.productTags.join(",")}>
          {t("drops.tags")}: {drop.productTags.join(", ")}
        </p>
      ) : null}
      <p data-drop-price="">
        {t("drops.price", {
          price: formatMoney(drop.priceMinor, drop.currency, locale),
          delivery: formatMoney(drop.deliveryMinor, drop.currency, locale),
        })}
      </p>
      {drop.isMemberOnly ? <p className="badge">{t("drops.memberOnly")}</p> : null}
      {gate.tiers.length > 0 && !gate.isEntitled ? (
        <div data-gate-offer="">
          <p>{t("drops.gateLead")}</p>
          <ul>
            {gate.tiers.map((tier) => (
              <li key={tier.id}>
                <Link to={`/s/${creator.slug}/tiers/${tier.id}`} data-subscribe-tier={tier.id}>
                  {t(tier.isEarlyAccess ? "drops.subscribeEarly" : "drops.subscribeTo", { tier: tier.name })}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      ) : gate.isEarlyAccess && !drop.isOpen ? (
        <p data-early-access="">{t("drops.earlyAccessYours")}</p>
      ) : null}
      {drop.shipBy ? <p className="muted">{t("storefront.shipBy", { date: drop.shipBy })}</p> : null}
      {drop.isHot ? (
        <p>
          <Link to={`/s/${creator.slug}/drops/${drop.id}/queue`} reloadDocument data-waiting-room="">
            {t("drops.waitingRoom")}
          </Link>
        </p>
      ) : null}
      {result && "formError" in result ? (
        <p className="form-error" role="alert">
          {translateMessage(locale, result.formError)}
        </p>
      ) : null}
      {!isOpenForMe ? (
        <>
          <p>{t("drops.notOpen", { when: when.format(new Date(drop.opensAt)) })}</p>
          <OpensCountdown opensAt={drop.opensAt} now={now} />
        </>
      ) : remaining === 0 ? (
        <>
          <p data-sold-out="">{t("drops.soldOut")}</p>
          {!signedIn ? null : position ? (
            <Form method="post">
              <p data-waitlist-position={position}>{t("drops.waitlistPosition", { position })}</p>
              <input type="hidden" name="intent" value="leave" />
              <button type="submit" className="secondary">
                {t("drops.leaveWaitlist")}
              </button>
            </Form>
          ) : (
            <Form method="post">
              <input type="hidden" name="intent" value="waitlist" />
              <button type="submit">{t("drops.joinWaitlist")}</button>
            </Form>
          )}
        </>
      ) : (
        <>
          <p data-remaining={remaining}>{t("drops.remaining", { count: remaining })}</p>
          {signedIn && !gate.isEntitled ? null : signedIn ? (
            <Form method="post">
              <input type="hidden" name="intent" value="claim" />
              <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
              <button type="submit">{t("drops.claim")}</button>
            </Form>
          ) : (
            <Link to={`/login?${new URLSearchParams({ redirectTo: `/s/${creator.slug}/drops/${drop.id}` })}`}>
              {t("drops.signInToClaim")}
            </Link>
          )}
        </>
      )}
    </section>
  );
}
