import { translateMessage } from "../i18n/messages-de";
import { translator, type Locale } from "../i18n";

/**
 * The cancel page (§ 312k BGB) and the withdrawal function (CRD art 11a) as plain server-rendered
 * forms — no script needed, no sign-in, no password. The compliance engine judges their static HTML
 * (app/app/compliance.server.ts renderRightsPages; rules X-X2, X-X3, X-W2), so these `data-*`
 * attributes and field names are its contract:
 *   data-cancel-form / data-withdraw-form, data-confirm-button, data-entry="cancel|withdraw";
 *   cancel fields: type, reason, name, contract, end_date, email; withdraw fields: name, order, email
 *   (hidden fields carry the storefront, the one-time submission key and the language).
 * The labels come from the app's i18n (en + de); the button labels must stay on the rules' allow-lists.
 */

export type FieldErrors = Record<string, string[] | undefined>;

function Errors({ locale, id, errors }: { locale: Locale; id: string; errors?: string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <ul id={id} className="errors" role="alert">
      {errors.map((e) => (
        <li key={e}>{translateMessage(locale, e)}</li>
      ))}
    </ul>
  );
}

export interface CancelFormProps {
  locale: Locale;
  submission: string;
  creator?: { slug: string; displayName: string } | null;
  values?: Partial<Record<"type" | "reason" | "name" | "contract" | "end_date" | "email", string>>;
  errors?: FieldErrors;
  action?: string;
}

export function CancelForm({ locale, submission, creator, values = {}, errors = {}, action }: CancelFormProps) {
  const t = translator(locale);
  const type = values.type === "extraordinary" ? "extraordinary" : "ordinary";
  const described = (name: string) => (errors[name]?.length ? `cancel-${name}-error` : undefined);
  return (
    <form method="post" action={action} className="rights-form" data-cancel-form="" noValidate>
      <h1>{t("rights.cancel.title")}</h1>
      <p>{t("rights.cancel.intro")}</p>
      <input type="hidden" name="submission" value={submission} />
      <input type="hidden" name="locale" value={locale} />
      {creator ? <input type="hidden" name="creator" value={creator.slug} /> : null}
      <Errors locale={locale} id="cancel-form-error" errors={errors.form} />
      <fieldset>
        <legend>{t("rights.cancel.type")}</legend>
        <label>
          <input type="radio" name="type" value="ordinary" defaultChecked={type === "ordinary"} />{" "}
          {t("rights.cancel.ordinary")}
        </label>
        <label>
          <input type="radio" name="type" value="extraordinary" defaultChecked={type === "extraordinary"} />{" "}
          {t("rights.cancel.extraordinary")}
        </label>
        <Errors locale={locale} id="cancel-type-error" errors={errors.type} />
      </fieldset>
      <div className="field">
        <label htmlFor="cancel-reason">{t("rights.cancel.reason")}</label>
        <input id="cancel-reason" name="reason" defaultValue={values.reason} aria-describedby={described("reason")} />
        <Errors locale={locale} id="cancel-reason-error" errors={errors.reason} />
      </div>
      <div className="field">
        <label htmlFor="cancel-name">{t("rights.cancel.name")}</label>
        <input
          id="cancel-name"
          name="name"
          required
          autoComplete="name"
          defaultValue={values.name}
          aria-describedby={described("name")}
        />
        <Errors locale={locale} id="cancel-name-error" errors={errors.name} />
      </div>
      <div className="field">
        <label htmlFor="cancel-contract">{t("rights.cancel.contract")}</label>
        <input
          id="cancel-contract"
          name="contract"
          defaultValue={values.contract}
          aria-describedby="cancel-contract-hint"
        />
        <p id="cancel-contract-hint" className="hint">
          {creator
            ? t("rights.cancel.contractHintCreator", { creator: creator.displayName })
            : t("rights.cancel.contractHint")}
        </p>
        <Errors locale={locale} id="cancel-contract-error" errors={errors.contract} />
      </div>
      <div className="field">
        <label htmlFor="cancel-end-date">{t("rights.cancel.endDate")}</label>
        <input
          id="cancel-end-date"
          type="date"
          name="end_date"
          defaultValue={values.end_date}
          aria-describedby="cancel-end-date-hint"
        />
        <p id="cancel-end-date-hint" className="hint">
          {t("rights.cancel.endDateHint")}
        </p>
        <Errors locale={locale} id="cancel-end_date-error" errors={errors.end_date} />
      </div>
      <div className="field">
        <label htmlFor="cancel-email">{t("rights.cancel.email")}</label>
        <input
          id="cancel-email"
          type="email"
          name="email"
          required
          autoComplete="email"
          defaultValue={values.email}
          aria-describedby={described("email")}
        />
        <Errors locale={locale} id="cancel-email-error" errors={errors.email} />
      </div>
      <button type="submit" className="button-primary" data-confirm-button="">
        {t("rights.cancel.button")}
      </button>
    </form>
  );
}

export interface WithdrawFormProps {
  locale: Locale;
  submission: string;
  values?: Partial<Record<"name" | "order" | "email", string>>;
  errors?: FieldErrors;
  action?: string;
}

export function WithdrawForm({ locale, submission, values = {}, errors = {}, action }: WithdrawFormProps) {
  const t = translator(locale);
  return (
    <form method="post" action={action} className="rights-form" data-withdraw-form="" noValidate>
      <h1>{t("rights.withdraw.title")}</h1>
      <p>{t("rights.withdraw.intro")}</p>
      <input type="hidden" name="submission" value={submission} />
      <input type="hidden" name="locale" value={locale} />
      <Errors locale={locale} id="withdraw-form-error" errors={errors.form} />
      <div className="field">
        <label htmlFor="withdraw-name">{t("rights.withdraw.name")}</label>
        <input id="withdraw-name" name="name" required autoComplete="name" defaultValue={values.name} />
        <Errors locale={locale} id="withdraw-name-error" errors={errors.name} />
      </div>
      <div className="field">
        <label htmlFor="withdraw-order">{t("rights.withdraw.order")}</label>
        <input id="withdraw-order" name="order" required defaultValue={values.order} />
        <Errors locale={locale} id="withdraw-order-error" errors={errors.order} />
      </div>
      <div className="field">
        <label htmlFor="withdraw-email">{t("rights.withdraw.email")}</label>
        <input
          id="withdraw-email"
          type="email"
          name="email"
          required
          autoComplete="email"
          defaultValue={values.email}
        />
        <Errors locale={locale} id="withdraw-email-error" errors={errors.email} />
      </div>
      <button type="submit" className="button-primary" data-confirm-button="">
        {t("rights.withdraw.button")}
      </button>
    </form>
  );
}

/** What the member can keep: the declaration, date and time, and the download links (DE-7, X-X4). */
export function DeclarationReceived({
  locale,
  title,
  body,
  statement,
  receivedAt,
  receiptHref,
}: {
  locale: Locale;
  title: string;
  body: string;
  statement: string;
  receivedAt: string;
  receiptHref: string;
}) {
  const t = translator(locale);
  return (
    <section className="card" data-declaration-received="">
      <h1>{title}</h1>
      <p>{body}</p>
      <p>
        {t("rights.receipt.received")}{" "}
        <time dateTime={receivedAt} data-received-at="">
          {receivedAt}
        </time>
      </p>
      <pre className="declaration" data-statement="">
        {statement}
      </pre>
      <p>
        <a href={`${receiptHref}?format=pdf`} download data-receipt="pdf">
          {t("rights.receipt.downloadPdf")}
        </a>{" "}
        ·{" "}
        <a href={`${receiptHref}?format=text`} download data-receipt="text">
          {t("rights.receipt.downloadText")}
        </a>
      </p>
    </section>
  );
}

/**
 * The footer entries on every page (X-X1, X-W1): "Cancel contracts here" and the withdrawal function,
 * reachable logged out. On a storefront the cancel link carries the creator.
 */
export function RightsLinks({ locale, creatorSlug }: { locale: Locale; creatorSlug?: string | null }) {
  const t = translator(locale);
  const cancelHref = creatorSlug ? `/cancel?creator=${encodeURIComponent(creatorSlug)}` : "/cancel";
  return (
    <nav className="rights-links" aria-label={t("rights.footer.label")}>
      <a href={cancelHref} data-entry="cancel">
        {t("rights.cancel.link")}
      </a>{" "}
      <a href="/withdraw" data-entry="withdraw">
        {t("rights.withdraw.link")}
      </a>
    </nav>
  );
}
