import { randomBytes } from "node:crypto";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { applyCancellation, cancelPageContext, recordCancellation } from "@kiln/rights";
import { requireBilling } from "../billing.server";
import { CancelForm, DeclarationReceived } from "../components/rights-forms";
import { isAppErrorLike, statusOf } from "../errors.server";
import { resolveLocale } from "../i18n.server";
import { translator } from "../i18n";

export const meta: MetaFunction = () => [{ title: "Cancel a contract · Kiln" }];

const FIELDS = ["type", "reason", "name", "contract", "end_date", "email"] as const;

/**
 * The cancel button's ONE page (§ 312k BGB; X-X1…X-X4): reachable logged out from every page's
 * footer (`?creator=slug` from a storefront) and from the account (`?subscription=id`, filled in for
 * the signed-in member). No save offer, no password, no interstitial.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const user = context.auth?.user ?? null;
  const page = await cancelPageContext(context.rt, {
    creatorSlug: url.searchParams.get("creator"),
    subscriptionId: url.searchParams.get("subscription"),
    ...(user ? { actor: { userId: user.id } } : {}),
  });
  return {
    locale: resolveLocale(request, user),
    creator: page.creator,
    prefill: page.prefill,
    submission: randomBytes(18).toString("base64url"),
  };
}

/**
 * Records the declaration and queues the confirmation (one transaction), then answers at once; the
 * Stripe step runs after the answer so a matching and a non-matching declaration take the same time
 * (a crash in between is picked up by applyPendingCancellations).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const billing = requireBilling(context);
  const user = context.auth?.user ?? null;
  const form = Object.fromEntries(await request.formData());
  const text = (k: string) => (typeof form[k] === "string" ? form[k] : undefined);
  const locale = resolveLocale(request, user);
  try {
    const receipt = await recordCancellation(
      context.rt,
      {
        type: text("type") as "ordinary",
        reason: text("reason"),
        name: text("name") ?? "",
        email: text("email") ?? "",
        contract: text("contract"),
        end_date: text("end_date"),
        creator: text("creator"),
        submission: text("submission") ?? "",
        locale,
      },
      { receiptKey: context.cookieSecret, ...(user ? { actor: { userId: user.id } } : {}) },
    );
    void applyCancellation(context.rt, billing.stripe, receipt.declarationId).catch((error: unknown) =>
      console.error("cancellation: the Stripe step failed; applyPendingCancellations retries it", error),
    );
    return {
      done: {
        statement: receipt.statement,
        receivedAt: receipt.receivedAt.toISOString(),
        receiptHref: `/cancel/receipt/${receipt.receiptToken}`,
      },
    };
  } catch (error) {
    if (!isAppErrorLike(error) || error.code !== "BAD_INPUT") throw error;
    const values = Object.fromEntries(FIELDS.map((k) => [k, text(k) ?? ""]));
    return data({ errors: error.fields ?? { form: [error.message] }, values }, { status: statusOf(error) });
  }
}

export default function CancelPage() {
  const { locale, creator, prefill, submission } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = translator(locale);
  if (result && "done" in result) {
    return (
      <DeclarationReceived
        locale={locale}
        title={t("rights.cancel.done.title")}
        body={t("rights.cancel.done.body")}
        {...result.done}
      />
    );
  }
  return (
    <section className="card">
      <CancelForm
        locale={locale}
        submission={submission}
        creator={creator}
        values={result && "values" in result ? result.values : (prefill ?? {})}
        errors={result && "errors" in result ? result.errors : {}}
      />
    </section>
  );
}
