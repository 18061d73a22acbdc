import type { MetaFunction } from "@remix-run/node";
import { Link, useRouteLoaderData } from "@remix-run/react";
import { useT } from "../i18n/react";
import type { loader as rootLoader } from "../root";

export const meta: MetaFunction = () => [{ title: "Kiln" }];

export default function IndexPage() {
  const t = useT();
  const user = useRouteLoaderData<typeof rootLoader>("root")?.user;
  return (
    <section className="hero">
      <h1>{t("index.title")}</h1>
      <p className="lead">{t("index.lead")}</p>
      {user ? (
        <p>
          {t("index.signedIn", { name: user.displayName })} <Link to="/home">{t("index.goHome")}</Link>
        </p>
      ) : (
        <p className="actions">
          <Link to="/login" className="button">
            {t("nav.signIn")}
          </Link>
          <Link to="/signup" className="button button-secondary">
            {t("nav.signUp")}
          </Link>
        </p>
      )}
    </section>
  );
}
