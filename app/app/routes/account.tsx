import { getFormProps, getInputProps, getSelectProps, useForm, type SubmissionResult } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { changePassword, createApiToken, listApiTokens, revokeApiToken, updateProfile } from "@kiln/auth";
import { API_SCOPES, ChangePasswordSchema, CreateApiTokenSchema, ProfileSchema } from "@kiln/auth/schemas";
import { requireUser } from "../auth.server";
import { ErrorList, Field } from "../components/forms";
import { notFound, replyWithAppError } from "../errors.server";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Account · Kiln" }];

const RevokeTokenSchema = z.object({ tokenId: z.uuid({ error: "Unknown token" }) });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const tokens = await listApiTokens(context.rt, user.id);
  return {
    user: {
      displayName: user.displayName,
      email: user.email,
      locale: user.locale,
      country: user.country,
      usState: user.usState,
    },
    tokens: tokens
      .filter((token) => !token.revokedAt)
      .map((token) => ({
        id: token.id,
        name: token.name,
        prefix: token.prefix,
        scopes: token.scopes,
        expiresAt: token.expiresAt?.toISOString() ?? null,
        lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
      })),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const formData = await request.formData();
  switch (formData.get("intent")) {
    case "profile": {
      const submission = parseWithZod(formData, { schema: ProfileSchema });
      if (submission.status !== "success") return data(submission.reply(), { status: 400 });
      try {
        await updateProfile(context.rt, user.id, submission.value);
      } catch (error) {
        return replyWithAppError(error, (o) => submission.reply(o));
      }
      return redirectWithToast(context, "/account", { kind: "success", key: "account.profileSaved" });
    }
    case "password": {
      const submission = parseWithZod(formData, { schema: ChangePasswordSchema });
      const hideFields = ["currentPassword", "newPassword"];
      if (submission.status !== "success") return data(submission.reply({ hideFields }), { status: 400 });
      try {
        await changePassword(
          context.rt,
          { userId: user.id, ...submission.value, currentSessionId: context.auth?.session.id ?? null },
          { appUrl: context.config.appUrl },
        );
      } catch (error) {
        return replyWithAppError(error, (o) => submission.reply({ ...o, hideFields }));
      }
      context.notifyOutbox();
      return redirectWithToast(context, "/account", { kind: "success", key: "account.passwordChanged" });
    }
    case "create-token": {
      const submission = parseWithZod(formData, { schema: CreateApiTokenSchema });
      if (submission.status !== "success") return data(submission.reply(), { status: 400 });
      try {
        const { token } = await createApiToken(context.rt, user.id, submission.value);
        // The secret is shown exactly once: returned to this response, never stored in clear.
        return { ...submission.reply({ resetForm: true }), createdToken: token };
      } catch (error) {
        return replyWithAppError(error, (o) => submission.reply(o));
      }
    }
    case "revoke-token": {
      const submission = parseWithZod(formData, { schema: RevokeTokenSchema });
      if (submission.status !== "success") return data(submission.reply(), { status: 400 });
      try {
        await revokeApiToken(context.rt, user.id, submission.value.tokenId);
      } catch (error) {
        return replyWithAppError(error, (o) => submission.reply(o));
      }
      return redirectWithToast(context, "/account", { kind: "success", key: "account.tokenRevoked" });
    }
    default:
      return notFound();
  }
}

type Result = SubmissionResult<string[]> & { createdToken?: string };

const resultFor = (result: Result | undefined, intent: string) =>
  result?.initialValue?.intent === intent ? result : undefined;

function ProfileForm({ lastResult }: { lastResult: Result | undefined }) {
  const t = useT();
  const { user } = useLoaderData<typeof loader>();
  const [form, fields] = useForm({
    id: "profile",
    lastResult: resultFor(lastResult, "profile"),
    defaultValue: {
      displayName: user.displayName,
      locale: user.locale ?? "",
      country: user.country ?? "",
      usState: user.usState ?? "",
    },
    constraint: getZodConstraint(ProfileSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ProfileSchema }),
  });
  const { key: localeKey, ...localeProps } = getSelectProps(fields.locale);
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">{t("account.profile")}</h2>
      <p className="muted">
        {t("account.email")}: {user.email}
      </p>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="profile" />
        <Field label={t("account.name")} field={fields.displayName} autoComplete="name" />
        <div className="field">
          <label htmlFor={fields.locale.id}>{t("account.language")}</label>
          <select key={localeKey} {...localeProps}>
            <option value="">{t("language.browser")}</option>
            <option value="en">{t("language.en")}</option>
            <option value="de">{t("language.de")}</option>
          </select>
          <ErrorList id={fields.locale.errorId} errors={fields.locale.errors} />
        </div>
        <Field
          label={t("account.country")}
          field={fields.country}
          hint={t("account.countryHint")}
          autoComplete="country"
        />
        <Field label={t("account.usState")} field={fields.usState} hint={t("account.usStateHint")} />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("account.saveProfile")}</button>
      </Form>
    </section>
  );
}

function PasswordForm({ lastResult }: { lastResult: Result | undefined }) {
  const t = useT();
  const [form, fields] = useForm({
    id: "password",
    lastResult: resultFor(lastResult, "password"),
    constraint: getZodConstraint(ChangePasswordSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ChangePasswordSchema }),
  });
  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">{t("account.password")}</h2>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="password" />
        <Field
          label={t("account.currentPassword")}
          field={fields.currentPassword}
          type="password"
          autoComplete="current-password"
        />
        <Field
          label={t("account.newPassword")}
          field={fields.newPassword}
          type="password"
          autoComplete="new-password"
        />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("account.changePassword")}</button>
      </Form>
    </section>
  );
}

function TokensSection({ lastResult }: { lastResult: Result | undefined }) {
  const t = useT();
  const locale = useLocale();
  const { tokens } = useLoaderData<typeof loader>();
  const result = resultFor(lastResult, "create-token");
  // A successful create resets the form (no initialValue), so the token is looked up on its own.
  const createdToken = lastResult?.createdToken;
  const [form, fields] = useForm({
    id: "create-token",
    lastResult: result ?? (createdToken ? lastResult : undefined),
    constraint: getZodConstraint(CreateApiTokenSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: CreateApiTokenSchema }),
  });
  const date = (iso: string | null) =>
    iso ? new Date(iso).toLocaleDateString(locale, { timeZone: "UTC" }) : t("common.never");
  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">{t("account.tokens")}</h2>
      <p className="muted">{t("account.tokensBody")}</p>
      {createdToken ? (
        <div className="secret" role="status">
          <p>
            <strong>{t("account.tokenCreated")}</strong> — {t("account.tokenOnce")}
          </p>
          <code aria-label={t("account.tokenCreated")}>{createdToken}</code>
        </div>
      ) : null}
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="create-token" />
        <Field label={t("account.tokenName")} field={fields.name} autoComplete="off" />
        <fieldset className="field">
          <legend>{t("account.scopes")}</legend>
          {API_SCOPES.map((scope) => {
            const { key, ...props } = getInputProps(fields.scopes, { type: "checkbox", value: scope });
            return (
              <label key={scope} className="checkbox">
                <input key={key} {...props} id={`${fields.scopes.id}-${scope}`} /> <code>{scope}</code>
              </label>
            );
          })}
          <ErrorList id={fields.scopes.errorId} errors={fields.scopes.errors} />
        </fieldset>
        <Field
          label={t("account.expiresInDays")}
          field={fields.expiresInDays}
          type="number"
          hint={t("account.expiresHint")}
        />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("account.createToken")}</button>
      </Form>
      {tokens.length === 0 ? (
        <p className="empty">{t("account.noTokens")}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t("account.tokenName")}</th>
              <th scope="col">{t("account.tokenPrefix")}</th>
              <th scope="col">{t("account.scopes")}</th>
              <th scope="col">{t("account.tokenExpires")}</th>
              <th scope="col">{t("account.tokenLastUsed")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("account.revoke")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>{token.scopes.join(", ")}</td>
                <td>{date(token.expiresAt)}</td>
                <td>{date(token.lastUsedAt)}</td>
                <td>
                  <Form method="post">
                    <input type="hidden" name="intent" value="revoke-token" />
                    <input type="hidden" name="tokenId" value={token.id} />
                    <button
                      type="submit"
                      className="button-secondary"
                      aria-label={`${t("account.revoke")} ${token.name}`}
                    >
                      {t("account.revoke")}
                    </button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export default function AccountPage() {
  const t = useT();
  const lastResult: Result | undefined = useActionData<typeof action>();
  return (
    <>
      <h1>{t("account.title")}</h1>
      <p>
        <Link to="/account/subscriptions">{t("subscriptions.nav")}</Link>
      </p>
      <p>
        <Link to="/account/notices">{t("notices.title")}</Link>
      </p>
      <p>
        <Link to="/account/orders">{t("orders.title")}</Link>
      </p>
      <p>
        <Link to="/account/privacy">{t("privacy.nav")}</Link>
      </p>
      <ProfileForm lastResult={lastResult} />
      <PasswordForm lastResult={lastResult} />
      <TokensSection lastResult={lastResult} />
    </>
  );
}
