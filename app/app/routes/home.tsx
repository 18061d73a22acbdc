import { redirect, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { homePathOf, requireMemberships } from "../auth.server";
import { useT } from "../i18n/react";
import type { MessageKey } from "../i18n";

export const meta: MetaFunction = () => [{ title: "Home · Kiln" }];

/** One role: straight to its home. None or several: the member home lists them. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { user, memberships } = await requireMemberships(context, request);
  const [only] = memberships;
  if (memberships.length === 1 && only) throw redirect(homePathOf(only));
  return {
    name: user.displayName,
    roles: memberships.map((m) => ({
      key: `${m.role}:${m.coop.id}:${m.creator?.id ?? m.factory?.id ?? ""}`,
      role: m.role,
      place: m.creator?.displayName ?? m.factory?.name ?? m.coop.name,
      coop: m.coop.name,
      href: homePathOf(m),
    })),
  };
}

export default function HomePage() {
  const t = useT();
  const { name, roles } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <h1>{t("home.memberTitle")}</h1>
      <p>{t("home.welcome", { name })}</p>
      <h2>{t("home.yourRoles")}</h2>
      {roles.length === 0 ? (
        <p className="empty">{t("home.noRoles")}</p>
      ) : (
        <ul className="list">
          {roles.map((r) => (
            <li key={r.key}>
              <Link to={r.href}>{t(`role.${r.role}` as MessageKey)}</Link> · {r.place}
              {r.place !== r.coop ? ` (${r.coop})` : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
