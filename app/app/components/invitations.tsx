import { getFormProps, getSelectProps, useForm, type SubmissionResult } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { Form } from "@remix-run/react";
import { InvitationSchema, type RoleNameInput } from "@kiln/auth/schemas";
import { useLocale, useT } from "../i18n/react";
import type { MessageKey } from "../i18n";
import { ErrorList, Field } from "./forms";

/** Creators and factories a co-op admin can invite people to. */
export interface InvitationPlaces {
  creators: { id: string; displayName: string }[];
  factories: { id: string; name: string }[];
}

export interface PendingInvitation {
  id: string;
  email: string;
  role: string;
  expiresAt: string;
}

/** The invite form and the pending invitations of one co-op (or one creator). */
export function Invitations({
  roles,
  creatorId,
  places,
  pending,
  lastResult,
}: {
  roles: readonly RoleNameInput[];
  creatorId?: string;
  places?: InvitationPlaces;
  pending: PendingInvitation[];
  lastResult: SubmissionResult<string[]> | null | undefined;
}) {
  const t = useT();
  const locale = useLocale();
  const [form, fields] = useForm({
    id: "invite",
    lastResult: lastResult?.initialValue?.intent === "invite" ? lastResult : undefined,
    constraint: getZodConstraint(InvitationSchema),
    shouldValidate: "onBlur",
    defaultValue: { role: roles[0], creatorId },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: InvitationSchema }),
  });
  const { key: roleKey, ...roleProps } = getSelectProps(fields.role);
  return (
    <section className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">{t("invite.title")}</h2>
      <Form method="post" {...getFormProps(form)} className="inline-form">
        <input type="hidden" name="intent" value="invite" />
        {creatorId ? <input type="hidden" name="creatorId" value={creatorId} /> : null}
        <Field label={t("invite.email")} field={fields.email} type="email" autoComplete="off" />
        <div className="field">
          <label htmlFor={fields.role.id}>{t("invite.role")}</label>
          <select key={roleKey} {...roleProps}>
            {roles.map((role) => (
              <option key={role} value={role}>
                {t(`role.${role}` as MessageKey)}
              </option>
            ))}
          </select>
          <ErrorList id={fields.role.errorId} errors={fields.role.errors} />
        </div>
        {places ? (
          <>
            <div className="field">
              <label htmlFor={fields.creatorId.id}>{t("invite.creator")}</label>
              <select id={fields.creatorId.id} name={fields.creatorId.name} defaultValue="">
                <option value="">{t("invite.noPlace")}</option>
                {places.creators.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.displayName}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={fields.factoryId.id}>{t("invite.factory")}</label>
              <select id={fields.factoryId.id} name={fields.factoryId.name} defaultValue="">
                <option value="">{t("invite.noPlace")}</option>
                {places.factories.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>
            </div>
          </>
        ) : null}
        <ErrorList errors={fields.creatorId.errors} />
        <ErrorList errors={fields.factoryId.errors} />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("invite.submit")}</button>
      </Form>
      <h3>{t("invite.pending")}</h3>
      {pending.length === 0 ? (
        <p className="empty">{t("invite.none")}</p>
      ) : (
        <ul className="list">
          {pending.map((i) => (
            <li key={i.id} className="row">
              <span>
                {i.email} · {t(`role.${i.role}` as MessageKey)} ·{" "}
                <small>
                  {t("invite.expires", { date: new Date(i.expiresAt).toLocaleDateString(locale, { timeZone: "UTC" }) })}
                </small>
              </span>
              <Form method="post">
                <input type="hidden" name="intent" value="revoke-invitation" />
                <input type="hidden" name="invitationId" value={i.id} />
                <button type="submit" className="button-secondary">
                  {t("invite.revoke")}
                </button>
              </Form>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
