import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { grantViewConsent, listViewConsentChoices, withdrawViewConsent } from "@kiln/personalization";
import { requireUser } from "../auth.server";
import { submitIntent } from "../capacity.server";
import { FormErrors, type FormResult } from "../components/capacity";
import { notFound } from "../errors.server";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Privacy · Kiln" }];

/**
 * The member's choice to share page views for personalised offers (issue 9 §1): per creator, or for
 * every creator of a co-op. Off by default; turning it off deletes the views kept under it.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  return { choices: await listViewConsentChoices(context.rt, { userId: user.id }) };
}

const ScopeSchema = z.object({
  coopId: z.uuid({ error: "Unknown co-op" }),
  creatorId: z.uuid({ error: "Unknown creator" }).optional(),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const formData = await request.formData();
  const intent = formData.get("intent");
  const ctx = { userId: user.id };
  if (intent === "grant")
    return submitIntent(
      formData,
      ScopeSchema,
      (v) => grantViewConsent(context.rt, ctx, v),
      () => redirectWithToast(context, "/account/privacy", { kind: "success", key: "privacy.granted" }),
    );
  if (intent === "withdraw")
    return submitIntent(
      formData,
      ScopeSchema,
      (v) => withdrawViewConsent(context.rt, ctx, v),
      () => redirectWithToast(context, "/account/privacy", { kind: "success", key: "privacy.withdrawn" }),
    );
  notFound();
}

function Toggle({ on, coopId, creatorId, label }: { on: boolean; coopId: string; creatorId?: string; label: string }) {
  const t = useT();
  return (
    <Form method="post" className="inline" data-consent={creatorId ?? `coop:${coopId}`} data-on={on}>
      <input type="hidden" name="intent" value={on ? "withdraw" : "grant"} />
      <input type="hidden" name="coopId" value={coopId} />
      {creatorId && <input type="hidden" name="creatorId" value={creatorId} />}
      {label}: <strong>{on ? t("privacy.on") : t("privacy.off")}</strong>{" "}
      <button type="submit">{on ? t("privacy.withdraw") : t("privacy.grant")}</button>
    </Form>
  );
}

export default function AccountPrivacy() {
  const t = useT();
  const { choices } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  return (
    <section className="card" aria-labelledby="privacy-title">
      <p>
        <Link to="/account">← {t("account.title")}</Link>
      </p>
      <h1 id="privacy-title">{t("privacy.title")}</h1>
      <p>{t("privacy.lead")}</p>
      <FormErrors result={result} intent="grant" />
      <FormErrors result={result} intent="withdraw" />
      {choices.length === 0 ? (
        <p className="empty">{t("privacy.none")}</p>
      ) : (
        choices.map((choice) => (
          <div key={choice.coopId}>
            <h2>{t("privacy.coop", { name: choice.coopName })}</h2>
            <ul className="list">
              <li>
                <Toggle on={choice.allCreators} coopId={choice.coopId} label={t("privacy.allCreators")} />
              </li>
              {choice.creators.map((creator) => (
                <li key={creator.id}>
                  <Toggle
                    on={creator.granted}
                    coopId={choice.coopId}
                    creatorId={creator.id}
                    label={t("privacy.creator", { name: creator.name })}
                  />
                </li>
              ))}
            </ul>
          </div>
        ))
      )}
    </section>
  );
}
