import type { TermsFormDefaults } from "@kiln/compliance/disclosure";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";

/**
 * The creator's terms form (studio tier page). Plain inputs named after `TermsFormSchema`'s fields;
 * the action parses them with that schema, so the browser and the server agree on every rule.
 */
type Values = TermsFormDefaults;

const str = (values: Values, name: keyof Values) => {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
};

function Text({
  name,
  values,
  type = "text",
  required = true,
}: {
  name: keyof Values;
  values: Values;
  type?: "text" | "number" | "email";
  required?: boolean;
}) {
  const t = useT();
  const id = `terms-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{t(`terms.${name}` as MessageKey)}</label>
      <input id={id} name={name} type={type} defaultValue={str(values, name)} required={required} />
    </div>
  );
}

function Check({ name, values }: { name: keyof Values; values: Values }) {
  const t = useT();
  return (
    <label className="field inline">
      <input type="checkbox" name={name} defaultChecked={values[name] === true || values[name] === "on"} />{" "}
      {t(`terms.${name}` as MessageKey)}
    </label>
  );
}

function Select({ name, values, options }: { name: keyof Values; values: Values; options: readonly string[] }) {
  const t = useT();
  const id = `terms-${name}`;
  return (
    <div className="field">
      <label htmlFor={id}>{t(`terms.${name}` as MessageKey)}</label>
      <select id={id} name={name} defaultValue={str(values, name)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TermsFields({ values }: { values: Values }) {
  const t = useT();
  const methods = Array.isArray(values.cancellationMethods)
    ? values.cancellationMethods
    : typeof values.cancellationMethods === "string"
      ? [values.cancellationMethods]
      : [];
  return (
    <>
      <fieldset>
        <legend>{t("terms.group.product")}</legend>
        <Text name="productDescription" values={values} />
        <Text name="amount" values={values} />
        <Select name="currency" values={values} options={["EUR", "GBP", "USD"]} />
        <Check name="taxInclusive" values={values} />
        <Select name="interval" values={values} options={["week", "month", "year"]} />
        <Text name="intervalCount" type="number" values={values} />
        <Text name="priorPrice" values={values} required={false} />
        <Text name="lowest30DaysPrice" values={values} required={false} />
      </fieldset>
      <fieldset>
        <legend>{t("terms.group.renewal")}</legend>
        <Check name="autoRenew" values={values} />
        <Select name="afterMinimumTerm" values={values} options={["indefinite", "same-term"]} />
        <Text name="noticeDays" type="number" values={values} />
        <Text name="minimumTermMonths" type="number" values={values} />
        <Text name="trialDays" type="number" values={values} />
        <Text name="trialPrice" values={values} />
      </fieldset>
      <fieldset>
        <legend>{t("terms.group.cancellation")}</legend>
        <div className="field">
          {(["online", "email", "phone", "post"] as const).map((m) => (
            <label key={m} className="inline">
              <input type="checkbox" name="cancellationMethods" value={m} defaultChecked={methods.includes(m)} /> {m}
            </label>
          ))}
        </div>
        <Text name="cancellationUrl" values={values} />
        <Text name="saveOffers" type="number" values={values} />
        <Text name="cancelSteps" type="number" values={values} />
      </fieldset>
      <fieldset>
        <legend>{t("terms.group.withdrawal")}</legend>
        <Check name="withdrawalRight" values={values} />
        <Text name="withdrawalPeriodDays" type="number" values={values} />
        <Check name="serviceStartsImmediately" values={values} />
        <Text name="exemptReason" values={values} required={false} />
        <Text name="withdrawalInstructionsUrl" values={values} />
        <Text name="withdrawalFunctionUrl" values={values} />
        <Text name="refundDays" type="number" values={values} />
        <Check name="renewalCoolingOff" values={values} />
      </fieldset>
      <fieldset>
        <legend>{t("terms.group.trader")}</legend>
        <Text name="traderName" values={values} />
        <Text name="traderAddress" values={values} />
        <Text name="traderEmail" type="email" values={values} />
      </fieldset>
    </>
  );
}
