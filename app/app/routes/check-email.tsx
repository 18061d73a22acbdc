import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { RequestResetSchema as EmailOnlySchema } from "@kiln/auth/schemas";
import { resendVerification } from "@kiln/auth";
import { ErrorList, Field } from "../components/forms";
import { replyWithAppError } from "../errors.server";
import { useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Check your email · Kiln" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: EmailOnlySchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  try {
    await resendVerification(context.rt, submission.value.email, { appUrl: context.config.appUrl });
  } catch (error) {
    return replyWithAppError(error, (o) => submission.reply(o));
  }
  context.notifyOutbox();
  return redirectWithToast(context, "/check-email", { kind: "info", key: "checkEmail.resent" });
}

export default function CheckEmailPage() {
  const t = useT();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(EmailOnlySchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: EmailOnlySchema }),
  });
  return (
    <section className="card narrow">
      <h1>{t("checkEmail.title")}</h1>
      <p>{t("checkEmail.body")}</p>
      <h2>{t("checkEmail.resendTitle")}</h2>
      <Form method="post" {...getFormProps(form)}>
        <Field label={t("signup.email")} field={fields.email} type="email" autoComplete="email" />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit" className="button-secondary">
          {t("checkEmail.resend")}
        </button>
      </Form>
    </section>
  );
}
