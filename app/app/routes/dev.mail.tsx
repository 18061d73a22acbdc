import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useLocale, useT } from "../i18n/react";
import { listDevMail, requireDevMailbox } from "../mailbox.server";

export const meta: MetaFunction = () => [{ title: "Dev mailbox · Kiln" }];

export async function loader({ context }: LoaderFunctionArgs) {
  const mailDir = requireDevMailbox(context);
  return { mailDir, messages: await listDevMail(mailDir) };
}

export default function DevMailbox() {
  const t = useT();
  const locale = useLocale();
  const { mailDir, messages } = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <h1>{t("mail.title")}</h1>
      <p className="muted">{t("mail.body", { dir: mailDir })}</p>
      {messages.length === 0 ? (
        <p className="empty">{t("mail.empty")}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t("mail.date")}</th>
              <th scope="col">{t("mail.to")}</th>
              <th scope="col">{t("mail.subject")}</th>
            </tr>
          </thead>
          <tbody>
            {messages.map((m) => (
              <tr key={m.id}>
                <td>{m.date ? new Date(m.date).toLocaleString(locale, { timeZone: "UTC" }) : ""}</td>
                <td>{m.to}</td>
                <td>
                  <Link to={`/dev/mail/${encodeURIComponent(m.id)}`}>{m.subject}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
