import type { z } from "zod";
import { AppError } from "@kiln/core";

/** A form's zod issues as BAD_INPUT with field-level messages (nothing was written). */
export function badInput(error: z.ZodError): AppError {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) (fields[issue.path.join(".") || "form"] ??= []).push(issue.message);
  return new AppError("BAD_INPUT", error.issues.map((i) => i.message).join("; "), { fields });
}
