import { getInputProps, type FieldMetadata } from "@conform-to/react";
import { useId, type ReactNode } from "react";
import { translateMessage } from "../i18n/messages-de";
import { useLocale } from "../i18n/react";

/** Errors under a field or a form, announced to screen readers. */
export function ErrorList({ id, errors }: { id?: string; errors?: string[] | undefined }) {
  const locale = useLocale();
  if (!errors?.length) return null;
  return (
    <ul id={id} className="errors" role="alert">
      {errors.map((error) => (
        <li key={error}>{translateMessage(locale, error)}</li>
      ))}
    </ul>
  );
}

type InputType = "text" | "email" | "password" | "number" | "search";

/** A labelled input bound to a Conform field, with its hint and errors. */
export function Field({
  label,
  field,
  type = "text",
  hint,
  autoComplete,
}: {
  label: ReactNode;
  field: FieldMetadata<string | number | undefined>;
  type?: InputType;
  hint?: ReactNode;
  autoComplete?: string;
}) {
  const hintId = useId();
  const { key, ...props } = getInputProps(field, { type, ariaDescribedBy: hint ? hintId : undefined });
  return (
    <div className="field">
      <label htmlFor={field.id}>{label}</label>
      <input key={key} {...props} autoComplete={autoComplete} />
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      <ErrorList id={field.errorId} errors={field.errors} />
    </div>
  );
}
