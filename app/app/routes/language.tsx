import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { safeRedirect } from "../auth.server";
import { isLocale } from "../i18n";
import { languageCookie } from "../i18n.server";

export const loader = () => redirect("/");

/** The visitors' language switch: remembers the choice in a cookie and goes back. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const locale = form.get("locale");
  const to = safeRedirect(form.get("redirectTo"), "/");
  if (!isLocale(locale)) return redirect(to);
  return redirect(to, { headers: { "Set-Cookie": languageCookie(locale, context.isHttps) } });
}
