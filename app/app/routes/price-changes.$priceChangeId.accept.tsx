import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { formatDate } from "@kiln/compliance/disclosure";
import { acceptPriceChange, acceptPriceChangeAsMember } from "@kiln/rights";
import { isAppErrorLike, statusOf } from "../errors.server";
import { resolveLocale } from "../i18n.server";
import { translator } from "../i18n";

export const meta: MetaFunction = () => [{ title: "Accept the new price · Kiln" }];

/**
 * The opt-in link of a New York member's price-change notice (N.Y. GBL § 527-a(1)(b-1)): works logged
 * out with the link's token, or for the signed-in member from their account without one; opening the
 * page changes nothing (mail scanners open links), the button does. An unknown, foreign or
 * wrong-token link gets the same "not valid" answer.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  return {
    locale: resolveLocale(request, context.auth?.user ?? null),
    priceChangeId: params.priceChangeId ?? "",
    token: token.length <= 200 ? token : "",
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const locale = resolveLocale(request, context.auth?.user ?? null);
  const token = form.get("token");
  const user = context.auth?.user ?? null;
  try {
    // The link's token (logged out); without one, the signed-in member's own account action.
    const change =
      typeof token === "string" && token !== ""
        ? await acceptPriceChange(context.rt, { priceChangeId: params.priceChangeId ?? "", token })
        : user
          ? await acceptPriceChangeAsMember(context.rt, { userId: user.id }, params.priceChangeId ?? "")
          : await acceptPriceChange(context.rt, { priceChangeId: params.priceChangeId ?? "", token: "" });
    return { done: formatDate(change.effectiveAt, locale) };
  } catch (error) {
    if (!isAppErrorLike(error) || (error.code !== "NOT_FOUND" && error.code !== "CONFLICT")) throw error;
    return data({ invalid: true }, { status: statusOf(error) });
  }
}

export default function AcceptPriceChangePage() {
  const { locale, token } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const t = translator(locale);
  return (
    <section className="card" data-price-change-accept="">
      <h1>{t("priceChange.accept.title")}</h1>
      {result && "done" in result ? (
        <p role="status">{t("priceChange.accept.done", { date: result.done })}</p>
      ) : result && "invalid" in result ? (
        <p role="alert">{t("priceChange.accept.invalid")}</p>
      ) : (
        <Form method="post">
          <p>{t("priceChange.accept.body")}</p>
          <input type="hidden" name="token" value={token} />
          <button type="submit" className="button">
            {t("priceChange.accept.button")}
          </button>
        </Form>
      )}
    </section>
  );
}
