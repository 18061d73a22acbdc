import type { SubmissionResult } from "@conform-to/react";
import { useId, type ReactNode } from "react";
import type { MessageKey } from "../i18n";
import { useT } from "../i18n/react";
import { ErrorList } from "./forms";

/** Small building blocks of the capacity screens (plain forms; the server validates with zod). */

export type FormResult = SubmissionResult<string[]> | null | undefined;

/** The result of the form with this intent, if the last submission was that form. */
export const resultFor = (result: FormResult, intent: string) =>
  result?.initialValue?.intent === intent ? result : undefined;

/** Every message of a form's last result (its own and its fields'), announced to screen readers. */
export function FormErrors({ result, intent }: { result: FormResult; intent: string }) {
  const mine = resultFor(result, intent);
  const errors = Object.values(mine?.error ?? {}).flatMap((messages) => messages ?? []);
  return <ErrorList errors={errors} />;
}

/** The last submitted value of a field, to refill the form after an error. */
export function lastValue(result: FormResult, intent: string, name: string): string | undefined {
  const value = resultFor(result, intent)?.initialValue?.[name];
  return typeof value === "string" ? value : undefined;
}

export function Input({
  label,
  name,
  type = "text",
  defaultValue,
  hint,
  required,
  min,
  step,
}: {
  label: ReactNode;
  name: string;
  type?: "text" | "number" | "date";
  defaultValue?: string | number | undefined;
  hint?: ReactNode;
  required?: boolean;
  min?: number;
  step?: number;
}) {
  const id = `f-${name}-${useId().replace(/\W+/g, "")}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} type={type} defaultValue={defaultValue} required={required} min={min} step={step} />
      {hint ? <p className="hint">{hint}</p> : null}
    </div>
  );
}

export interface ExplanationPartView {
  code: string;
  params: Record<string, string | number>;
}

/** A plain-language explanation in the reader's language. */
export function Explanation({ parts }: { parts: ExplanationPartView[] }) {
  const t = useT();
  return <p className="explanation">{parts.map((p) => t(`explain.${p.code}` as MessageKey, p.params)).join(" ")}</p>;
}

export const percent = (value: number) => `${Math.round(value * 100)} %`;
