import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { verifyEmail } from "@kiln/auth";
import { isAppErrorLike, statusOf } from "../errors.server";
import { useT } from "../i18n/react";

export const meta: MetaFunction = () => [{ title: "Verify email · Kiln" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token")?.trim() ?? "";
  if (!token) return data({ verified: false, message: null }, { status: 400 });
  try {
    await verifyEmail(context.rt, token);
    return { verified: true, message: null };
  } catch (error) {
    if (!isAppErrorLike(error)) throw error;
    return data({ verified: false, message: error.message }, { status: statusOf(error) });
  }
}

export default function VerifyEmailPage() {
  const t = useT();
  const { verified, message } = useLoaderData<typeof loader>();
  return (
    <section className="card narrow">
      {verified ? (
        <>
          <h1>{t("verify.title")}</h1>
          <p>{t("verify.body")}</p>
        </>
      ) : (
        <>
          <h1>{t("verify.failedTitle")}</h1>
          <p role="alert">{message ?? t("verify.missingToken")}</p>
        </>
      )}
      <p>
        <Link to="/login" className="button">
          {t("verify.signIn")}
        </Link>
      </p>
    </section>
  );
}
