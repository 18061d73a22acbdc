import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import {
  Form,
  isRouteErrorResponse,
  Link,
  Links,
  Meta,
  NavLink,
  Outlet,
  Scripts,
  ScrollRestoration,
  useLoaderData,
  useLocation,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { useState, type ReactNode } from "react";
import { getMemberships } from "@kiln/auth";
import { homePathOf } from "./auth.server";
import { useLocale, useT } from "./i18n/react";
import type { MessageKey } from "./i18n";
import { resolveLocale } from "./i18n.server";
import { useNonce } from "./nonce";
import { RightsLinks } from "./components/rights-forms";
import { clearToastCookie, readToast } from "./toast.server";
import stylesheet from "./styles.css?url";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export const meta: MetaFunction = () => [{ title: "Kiln" }];

const NAV_LABEL: Record<string, MessageKey> = {
  coop_admin: "nav.coop",
  compliance_reviewer: "nav.compliance",
  creator_owner: "nav.studio",
  creator_staff: "nav.studio",
  factory_operator: "nav.factory",
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = context.auth?.user ?? null;
  const memberships = user ? await getMemberships(context.rt, user.id) : [];
  const toast = readToast(request, context.cookieSecret);
  const nav = memberships.map((m) => ({
    key: `${m.role}:${m.coop.id}:${m.creator?.id ?? m.factory?.id ?? ""}`,
    label: NAV_LABEL[m.role] ?? "nav.home",
    detail: m.creator?.displayName ?? m.factory?.name ?? m.coop.name,
    href: homePathOf(m),
  }));
  const body = {
    locale: resolveLocale(request, user),
    user: user && { id: user.id, displayName: user.displayName, email: user.email },
    /** Where consumer law is decided for this user (later issues: disclosures, withdrawal rights). */
    jurisdiction: user ? { country: user.country ?? null, usState: user.usState ?? null } : null,
    nav,
    toast,
    devMailbox: !context.config.smtpUrl && !context.config.isProduction,
  };
  return toast ? data(body, { headers: { "Set-Cookie": clearToastCookie(context.isHttps) } }) : body;
}

export function Layout({ children }: { children: ReactNode }) {
  const locale = useLocale();
  const nonce = useNonce();
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

function Header() {
  const t = useT();
  const root = useRouteLoaderData<typeof loader>("root");
  const location = useLocation();
  const user = root?.user;
  // Several memberships of the same kind are told apart by name.
  const labelCounts = new Map<string, number>();
  for (const item of root?.nav ?? []) labelCounts.set(item.label, (labelCounts.get(item.label) ?? 0) + 1);
  return (
    <header className="site-header">
      <Link to={user ? "/home" : "/"} className="brand">
        {t("app.name")}
      </Link>
      <nav aria-label={t("nav.main")}>
        <ul>
          {user ? (
            <>
              <li>
                <NavLink to="/home">{t("nav.home")}</NavLink>
              </li>
              {root.nav.map((item) => (
                <li key={item.key}>
                  <NavLink to={item.href}>
                    {t(item.label)}
                    {(labelCounts.get(item.label) ?? 0) > 1 ? ` · ${item.detail}` : null}
                  </NavLink>
                </li>
              ))}
              <li>
                <NavLink to="/account">{t("nav.account")}</NavLink>
              </li>
            </>
          ) : (
            <>
              <li>
                <NavLink to="/login">{t("nav.signIn")}</NavLink>
              </li>
              <li>
                <NavLink to="/signup">{t("nav.signUp")}</NavLink>
              </li>
            </>
          )}
          {root?.devMailbox ? (
            <li>
              <NavLink to="/dev/mail">{t("nav.devMail")}</NavLink>
            </li>
          ) : null}
        </ul>
      </nav>
      <div className="header-actions">
        {user ? (
          <Form method="post" action="/logout">
            <button type="submit" className="button-link">
              {t("nav.signOut")}
            </button>
          </Form>
        ) : (
          <Form method="post" action="/language" className="language-switch">
            <input type="hidden" name="redirectTo" value={`${location.pathname}${location.search}`} />
            <label>
              <span className="visually-hidden">{t("language.label")}</span>
              <select name="locale" defaultValue={root?.locale ?? "en"} key={root?.locale}>
                <option value="en">{t("language.en")}</option>
                <option value="de">{t("language.de")}</option>
              </select>
            </label>
            <button type="submit" className="button-secondary">
              {t("language.switch")}
            </button>
          </Form>
        )}
      </div>
    </header>
  );
}

function ToastMessage() {
  const t = useT();
  const { toast } = useLoaderData<typeof loader>();
  const [dismissed, setDismissed] = useState<string | null>(null);
  if (!toast || dismissed === toast.id) return null;
  return (
    <div className={`toast toast-${toast.kind}`} role="status">
      <span>{t(toast.key, toast.params)}</span>
      <button
        type="button"
        className="toast-close"
        aria-label={t("common.dismiss")}
        onClick={() => setDismissed(toast.id)}
      >
        ×
      </button>
    </div>
  );
}

/**
 * The footer on every page: the cancel button and the withdrawal function, logged out too (§ 312k
 * BGB, CRD art 11a; X-X1, X-W1). On a storefront (/s/:creatorSlug/…) the cancel link names the creator.
 */
function SiteFooter() {
  const locale = useLocale();
  const { pathname } = useLocation();
  const creatorSlug = /^\/s\/([a-z0-9-]+)/.exec(pathname)?.[1] ?? null;
  return (
    <footer className="site-footer">
      <RightsLinks locale={locale} creatorSlug={creatorSlug} />
    </footer>
  );
}

export default function App() {
  return (
    <>
      <Header />
      <main className="page">
        <ToastMessage />
        <Outlet />
      </main>
      <SiteFooter />
    </>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  const t = useT();
  let title = t("error.server.title");
  let body = t("error.server.body");
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) {
      title = t("error.notFound.title");
      body = t("error.notFound.body");
    } else if (error.status < 500) {
      title = t("error.generic.title", { status: error.status });
      const message = (error.data as { message?: unknown } | null)?.message;
      body = typeof message === "string" ? message : error.statusText;
    }
  } else {
    console.error(error);
  }
  return (
    <>
      <Header />
      <main className="page">
        <section className="card error-page">
          <h1>{title}</h1>
          <p>{body}</p>
          <p>
            <Link to="/">{t("error.home")}</Link>
          </p>
        </section>
      </main>
      <SiteFooter />
    </>
  );
}
