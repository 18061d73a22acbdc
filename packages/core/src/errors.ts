/**
 * Coded domain errors. Packages throw these; one mapper in app/ turns them into responses.
 * A foreign tenant's row is NOT_FOUND, never FORBIDDEN (it must look exactly like a missing one).
 */
export const ERROR_STATUS = {
  BAD_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GONE: 410,
  RATE_LIMITED: 429,
  SOLD_OUT: 409,
  /** A drop before it opens (or after it closed) for this member. */
  NOT_OPEN: 409,
  LIMIT_EXCEEDED: 409,
  NOT_ENTITLED: 403,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Field-level issues for forms (field name → messages). */
  readonly fields: Record<string, string[]> | undefined;
  /** For RATE_LIMITED: seconds until the caller may try again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { fields?: Record<string, string[]>; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.fields = options.fields;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;

export const notFound = (what = "Not found") => new AppError("NOT_FOUND", what);
