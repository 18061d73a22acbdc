import type { z } from "zod";
import { AppError } from "@kiln/core";

/**
 * Parses input with a form schema; on failure throws BAD_INPUT with the field messages, before
 * anything is written.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string[]> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.length ? issue.path.map(String).join(".") : "form";
    (fields[key] ??= []).push(issue.message);
  }
  const first = result.error.issues[0]?.message ?? "Check the highlighted fields";
  throw new AppError("BAD_INPUT", first, { fields });
}
