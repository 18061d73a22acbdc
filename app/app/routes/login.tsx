import { getFormProps, useForm } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useSearchParams } from "@remix-run/react";
import { SignInSchema } from "@kiln/auth/schemas";
import { signIn } from "@kiln/auth";
import { requireAnonymous, safeRedirect } from "../auth.server";
import { ErrorList, Field } from "../components/forms";
import { replyWithAppError } from "../errors.server";
import { useT } from "../i18n/react";
import { getTranslator } from "../i18n.server";
import { sessionCookie } from "../session.server";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Sign in · Kiln" }];

export function loader({ context }: LoaderFunctionArgs) {
  requireAnonymous(context);
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  requireAnonymous(context);
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: SignInSchema });
  if (submission.status !== "success") return data(submission.reply({ hideFields: ["password"] }), { status: 400 });
  const t = getTranslator(request, context);
  try {
    const { token, expiresAt, user } = await signIn(context.rt, {
      ...submission.value,
      ip: context.clientIp,
      userAgent: request.headers.get("User-Agent") ?? "",
    });
    return redirectWithToast(
      context,
      safeRedirect(formData.get("redirectTo")),
      { kind: "success", key: "login.welcome", params: { name: user.displayName } },
      { headers: { "Set-Cookie": sessionCookie(token, expiresAt, context.isHttps) } },
    );
  } catch (error) {
    return replyWithAppError(
      error,
      (o) => submission.reply({ ...o, hideFields: ["password"] }),
      (seconds) => t("error.rateLimited", { seconds }),
    );
  }
}

export default function LoginPage() {
  const t = useT();
  const lastResult = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(SignInSchema),
    shouldValidate: "onBlur",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SignInSchema }),
  });
  return (
    <section className="card narrow">
      <h1>{t("login.title")}</h1>
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="redirectTo" value={searchParams.get("redirectTo") ?? ""} />
        <Field label={t("login.email")} field={fields.email} type="email" autoComplete="email" />
        <Field label={t("login.password")} field={fields.password} type="password" autoComplete="current-password" />
        <ErrorList id={form.errorId} errors={form.errors} />
        <button type="submit">{t("login.submit")}</button>
      </Form>
      <p className="aside">
        <Link to="/forgot-password">{t("login.forgot")}</Link>
      </p>
      <p className="aside">
        {t("login.noAccount")}{" "}
        <Link to={`/signup${searchParams.get("redirectTo") ? `?${searchParams}` : ""}`}>{t("nav.signUp")}</Link>
        {" · "}
        <Link to="/check-email">{t("login.resend")}</Link>
      </p>
    </section>
  );
}
