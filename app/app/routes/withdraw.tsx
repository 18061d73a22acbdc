import { randomBytes } from "node:crypto";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { applyWithdrawal, recordWithdrawal } from "@kiln/rights";
import { formatDate } from "@kiln/compliance/disclosure";
import { requireBilling } from "../billing.server";
import { DeclarationReceived, WithdrawForm } from "../components/rights-forms";
import { isAppErrorLike, statusOf } from "../errors.server";
import { resolveLocale } from "../i18n.server";
import { translator } from "../i18n";

export const meta: MetaFunction = () => [{ title: "Withdraw from a contract · Kiln" }];

const FIELDS = ["name", "order", "email"] as const;

/**
 * The withdrawal function (CRD art 11a, § 356a BGB; X-W1…X-W3): name, order or contract number,
 * e-mail → "Confirm withdrawal". Logged out. An unknown number or e-mail gets the same page as an
 * accepted withdrawal; only a member whose number and e-mail match learns that the period ended.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = context.auth?.user ?? null;
  const order = new URL(request.url).searchParams.get("order");
  return {
    locale: resolveLocale(request, user),
    prefill: {
      ...(user ? { name: user.displayName, email: user.email } : {}),
      ...(order && order.length <= 100 ? { order } : {}),
    },
    submission: randomBytes(18).toString("base64url"),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const billing = requireBilling(context);
  const user = context.auth?.user ?? null;
  const form = Object.fromEntries(await request.formData());
  const text = (k: string) => (typeof form[k] === "string" ? form[k] : undefined);
  const locale = resolveLocale(request, user);
  try {
    const { answer, apply } = await recordWithdrawal(
      context.rt,
      {
        name: text("name") ?? "",
        order: text("order") ?? "",
        email: text("email") ?? "",
        submission: text("submission") ?? "",
        locale,
      },
      { receiptKey: context.cookieSecret },
    );
    // The effect (Stripe cancellation, refund) runs after the answer: same timing for every answer.
    if (apply)
      void applyWithdrawal(context.rt, billing.stripe, apply).catch((error: unknown) =>
        console.error("withdrawal: cancellation or refund failed; performDueRefunds retries the refund", error),
      );
    return {
      done: {
        status: answer.status,
        lastDay: answer.lastDay ? formatDate(new Date(`${answer.lastDay}T12:00:00Z`), locale) : null,
        statement: answer.statement,
        receivedAt: answer.receivedAt.toISOString(),
        receiptHref: `/withdraw/receipt/${answer.receiptToken}`,
      },
    };
  } catch (error) {
    if (!isAppErrorLike(error) || error.code !== "BAD_INPUT") throw error;
    const values = Object.fromEntries(FIELDS.map((k) => [k, text(k) ?? ""]));
    return data({ errors: error.fields ?? { form: [error.message] }, values }, { status: statusOf(error) });
  }
}

export default function WithdrawPage() {
  const { locale, prefill, submission } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = translator(locale);
  if (result && "done" in result) {
    const { status, lastDay, ...receipt } = result.done;
    return status === "out_of_window" ? (
      <section className="card" data-withdrawal-closed="">
        <h1>{t("rights.withdraw.closed.title")}</h1>
        <p>{t("rights.withdraw.closed.body", { date: lastDay ?? "" })}</p>
        <p>
          <a href="/cancel" data-entry="cancel">
            {t("rights.cancel.link")}
          </a>
        </p>
      </section>
    ) : (
      <DeclarationReceived
        locale={locale}
        title={t("rights.withdraw.done.title")}
        body={t("rights.withdraw.done.body")}
        {...receipt}
      />
    );
  }
  return (
    <section className="card">
      <WithdrawForm
        locale={locale}
        submission={submission}
        values={result && "values" in result ? result.values : prefill}
        errors={result && "errors" in result ? result.errors : {}}
      />
    </section>
  );
}
