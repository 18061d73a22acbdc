import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { acceptInvitation, findInvitationByToken } from "@kiln/auth";
import { requireUser } from "../auth.server";
import { ErrorList } from "../components/forms";
import { isAppErrorLike, replyWithAppError, statusOf } from "../errors.server";
import { useT } from "../i18n/react";
import type { MessageKey } from "../i18n";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Accept invitation · Kiln" }];

const AcceptSchema = z.object({ token: z.string().trim().min(1).max(200) });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  const token = url.searchParams.get("token")?.trim() ?? "";
  const here = `${url.pathname}${url.search}`;
  const signedIn = context.auth !== null;
  if (!token) return data({ token, signedIn, here, invitation: null, problem: null }, { status: 400 });
  try {
    const i = await findInvitationByToken(context.rt, token);
    const invitation = { role: i.role, coop: i.coopName, place: i.creatorName ?? i.factoryName, email: i.email };
    return { token, signedIn, here, invitation, problem: null };
  } catch (error) {
    if (!isAppErrorLike(error)) throw error;
    return data({ token, signedIn, here, invitation: null, problem: error.message }, { status: statusOf(error) });
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const submission = parseWithZod(await request.formData(), { schema: AcceptSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });
  try {
    await acceptInvitation(context.rt, { token: submission.value.token, userId: user.id });
  } catch (error) {
    return replyWithAppError(error, (o) => submission.reply(o));
  }
  return redirectWithToast(context, "/home", { kind: "success", key: "accept.done" });
}

export default function AcceptInvitationPage() {
  const t = useT();
  const { token, signedIn, here, invitation, problem } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const redirectTo = new URLSearchParams({ redirectTo: here });
  return (
    <section className="card narrow">
      <h1>{t("accept.title")}</h1>
      {!token ? <p role="alert">{t("accept.missingToken")}</p> : null}
      {problem ? <p role="alert">{problem}</p> : null}
      {invitation ? (
        <>
          <p>{t("accept.body")}</p>
          <dl className="facts">
            <dt>{t("invite.role")}</dt>
            <dd>{t(`role.${invitation.role}` as MessageKey)}</dd>
            <dt>{t("nav.coop")}</dt>
            <dd>
              {invitation.coop}
              {invitation.place ? ` · ${invitation.place}` : null}
            </dd>
            <dt>{t("invite.email")}</dt>
            <dd>{invitation.email}</dd>
          </dl>
          {signedIn ? (
            <Form method="post">
              <input type="hidden" name="token" value={token} />
              <ErrorList errors={result?.error?.[""] ?? undefined} />
              <button type="submit">{t("accept.submit")}</button>
            </Form>
          ) : (
            <>
              <p>{t("accept.signInFirst")}</p>
              <p className="actions">
                <Link to={`/login?${redirectTo}`} className="button">
                  {t("nav.signIn")}
                </Link>
                <Link to={`/signup?${redirectTo}`} className="button button-secondary">
                  {t("nav.signUp")}
                </Link>
              </p>
            </>
          )}
        </>
      ) : null}
    </section>
  );
}
