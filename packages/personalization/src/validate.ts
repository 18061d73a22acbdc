import type { z } from "zod";
import { AppError } from "@kiln/core";

/** Validates at the package boundary: BAD_INPUT with each issue under its field, nothing changed. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: Record<string, string[]> = {};
  for (const issue of result.error.issues)
    (fields[issue.path.map(String).join(".") || "form"] ??= []).push(issue.message);
  throw new AppError("BAD_INPUT", result.error.issues.map((i) => i.message).join("; "), { fields });
}
