import type { z } from "zod";
import { AppError } from "./errors";

/**
 * Validates at a package boundary: on failure throws BAD_INPUT with every issue's message and each
 * issue under its field ("form" for the whole input), before anything is written.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: Record<string, string[]> = {};
  for (const issue of result.error.issues)
    (fields[issue.path.map(String).join(".") || "form"] ??= []).push(issue.message);
  throw new AppError("BAD_INPUT", result.error.issues.map((i) => i.message).join("; "), { fields });
}
