import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { invalidateSession } from "@kiln/auth";
import { clearSessionCookie } from "../session.server";
import { redirectWithToast } from "../toast.server";

export const loader = () => redirect("/");

export async function action({ context }: ActionFunctionArgs) {
  if (context.sessionToken) await invalidateSession(context.rt, context.sessionToken);
  return redirectWithToast(
    context,
    "/",
    { kind: "info", key: "logout.done" },
    { headers: { "Set-Cookie": clearSessionCookie(context.isHttps) } },
  );
}
