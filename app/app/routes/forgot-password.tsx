import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { RequestResetSchema } from "@kiln/auth/schemas";
import { requestPasswordReset } from "@kiln/auth";
import { ErrorList, Field } from "../components/forms";
import { replyWithAppError } from "../errors.server";
import { useT } from "../i18n/react";
import { getTranslator } from "../i18n.server";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Reset password · Kiln" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const submission = parseWithZod(await request.formData(), { schema: RequestResetSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  const t = getTranslator(request, context);
  try {
    await requestPasswordReset(context.rt, submission.value, { appUrl: context.config.appUrl });
  } catch (error) {
    return replyWithAppError(
      error,
      (o) => submission.reply(o),
      (seconds) => t("error.rateLimited", { seconds }),
    );
  }
  context.notifyOutbox();
  return redirectWithToast(context, "/login", { kind: "info", key: "forgot.sent" });
}

export default function ForgotPasswordPage() {
  const t = useT();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(RequestResetSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: RequestResetSchema }),
  });
  return (
    <section className="card narrow">
      <h1>{t("forgot.title")}</h1>
      <p>{t("forgot.body")}</p>
      <Form method="post" {...getFormProps(form)}>
        <Field label={t("forgot.email")} field={fields.email} type="email" autoComplete="email" />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("forgot.submit")}</button>
      </Form>
    </section>
  );
}
