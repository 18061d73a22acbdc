/**
 * @kiln/rights — server-only: the consumer-rights flows of issue 6 (consumer-law-2026.md §2.4–2.5,
 * §3, §5–§8): the cancel button and the EU withdrawal function (both usable logged out), notices as
 * rows with a due date swept by a job, refunds due, and the reviewer's evidence pack.
 */
export {};
