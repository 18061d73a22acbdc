import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Fragment } from "react";
import { useLocale, useT } from "../i18n/react";
import { readDevMail, requireDevMailbox } from "../mailbox.server";

export const meta: MetaFunction = () => [{ title: "Dev mailbox · Kiln" }];

export async function loader({ params, context }: LoaderFunctionArgs) {
  const mailDir = requireDevMailbox(context);
  return readDevMail(mailDir, params.id ?? "");
}

const URL_PATTERN = /(https?:\/\/[^\s<>"')]+)/g;

/** The plain-text body with its links made clickable (no HTML from the mail is rendered). */
function LinkifiedText({ text }: { text: string }) {
  const parts = text.split(URL_PATTERN);
  return (
    <pre className="mail-body">
      {parts.map((part, index) =>
        index % 2 === 1 ? (
          <a key={index} href={part}>
            {part}
          </a>
        ) : (
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </pre>
  );
}

export default function DevMailMessage() {
  const t = useT();
  const locale = useLocale();
  const message = useLoaderData<typeof loader>();
  return (
    <section className="card">
      <p>
        <Link to="/dev/mail">← {t("mail.back")}</Link>
      </p>
      <h1>{message.subject}</h1>
      <dl className="facts">
        <dt>{t("mail.from")}</dt>
        <dd>{message.from}</dd>
        <dt>{t("mail.to")}</dt>
        <dd>{message.to}</dd>
        <dt>{t("mail.date")}</dt>
        <dd>{message.date ? new Date(message.date).toLocaleString(locale, { timeZone: "UTC" }) : ""}</dd>
      </dl>
      <LinkifiedText text={message.text} />
    </section>
  );
}
