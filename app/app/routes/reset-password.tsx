import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ResetPasswordSchema } from "@kiln/auth/schemas";
import { resetPassword } from "@kiln/auth";
import { ErrorList, Field } from "../components/forms";
import { replyWithAppError } from "../errors.server";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Choose a new password · Kiln" }];

export function loader({ request }: LoaderFunctionArgs) {
  return { token: new URL(request.url).searchParams.get("token")?.trim() ?? "" };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: ResetPasswordSchema });
  if (submission.status !== "success") return data(submission.reply({ hideFields: ["newPassword"] }), { status: 400 });
  try {
    await resetPassword(context.rt, submission.value);
  } catch (error) {
    return replyWithAppError(error, (o) => submission.reply({ ...o, hideFields: ["newPassword"] }));
  }
  return redirectWithToast(context, "/login", { kind: "success", key: "reset.done" });
}

export default function ResetPasswordPage() {
  const t = useT();
  const { token } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({
    lastResult,
    defaultValue: { token },
    constraint: getZodConstraint(ResetPasswordSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ResetPasswordSchema }),
  });
  if (!token) {
    return (
      <section className="card narrow">
        <h1>{t("reset.title")}</h1>
        <p role="alert">{t("reset.missingToken")}</p>
        <Link to="/forgot-password">{t("forgot.title")}</Link>
      </section>
    );
  }
  const { key: tokenKey, ...tokenProps } = getInputProps(fields.token, { type: "hidden" });
  return (
    <section className="card narrow">
      <h1>{t("reset.title")}</h1>
      <Form method="post" {...getFormProps(form)}>
        <input key={tokenKey} {...tokenProps} />
        <Field label={t("reset.newPassword")} field={fields.newPassword} type="password" autoComplete="new-password" />
        <ErrorList errors={fields.token.errors} />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("reset.submit")}</button>
      </Form>
    </section>
  );
}
