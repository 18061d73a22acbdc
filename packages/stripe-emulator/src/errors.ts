/** Stripe-shaped API errors: `{ error: { type, code, param, message, … } }` with Stripe's status codes. */
export type StripeErrorType =
  "api_error" | "card_error" | "idempotency_error" | "invalid_request_error" | "authentication_error";

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  decline_code?: string;
  doc_url?: string;
  payment_intent?: unknown;
  setup_intent?: unknown;
  payment_method?: unknown;
  charge?: string;
}

export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
  toJSON() {
    return { error: this.body };
  }
}

export function invalidRequest(message: string, param?: string, code?: string, status = 400): StripeApiError {
  return new StripeApiError(status, {
    type: "invalid_request_error",
    message,
    ...(param !== undefined ? { param } : {}),
    ...(code !== undefined ? { code } : {}),
  });
}

export function missingParam(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, param, "parameter_missing");
}

export function invalidParam(param: string, message: string): StripeApiError {
  return invalidRequest(message, param, "parameter_invalid");
}

export function unknownParam(param: string): StripeApiError {
  return invalidRequest(`Received unknown parameter: ${param}`, param, "parameter_unknown");
}

export function resourceMissing(kind: string, id: string, param = "id"): StripeApiError {
  return invalidRequest(`No such ${kind}: '${id}'`, param, "resource_missing", 404);
}

export function badState(message: string, code = "resource_invalid_state"): StripeApiError {
  return invalidRequest(message, undefined, code);
}

export function notFoundRoute(method: string, path: string): StripeApiError {
  return invalidRequest(`Unrecognized request URL (${method}: ${path}).`, undefined, undefined, 404);
}
