import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { SignUpSchema } from "@kiln/auth/schemas";
import { signUp } from "@kiln/auth";
import { requireAnonymous } from "../auth.server";
import { ErrorList, Field } from "../components/forms";
import { replyWithAppError } from "../errors.server";
import { useT } from "../i18n/react";
import { resolveLocale } from "../i18n.server";

export const meta: MetaFunction = () => [{ title: "Sign up · Kiln" }];

export function loader({ context }: LoaderFunctionArgs) {
  requireAnonymous(context);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  requireAnonymous(context);
  const submission = parseWithZod(await request.formData(), { schema: SignUpSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  try {
    const locale = submission.value.locale ?? resolveLocale(request);
    await signUp(context.rt, { ...submission.value, locale }, { appUrl: context.config.appUrl });
  } catch (error) {
    return replyWithAppError(error, (o) => submission.reply(o));
  }
  context.notifyOutbox();
  return redirect("/check-email");
}

export default function SignUpPage() {
  const t = useT();
  const lastResult = useActionData<typeof action>();
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(SignUpSchema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SignUpSchema }),
  });
  return (
    <section className="card narrow">
      <h1>{t("signup.title")}</h1>
      <Form method="post" {...getFormProps(form)}>
        <Field label={t("signup.name")} field={fields.displayName} autoComplete="name" />
        <Field label={t("signup.email")} field={fields.email} type="email" autoComplete="email" />
        <Field
          label={t("signup.password")}
          field={fields.password}
          type="password"
          autoComplete="new-password"
          hint={t("signup.passwordHint")}
        />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("signup.submit")}</button>
      </Form>
      <p className="aside">
        {t("signup.haveAccount")} <Link to="/login">{t("nav.signIn")}</Link>
      </p>
    </section>
  );
}
