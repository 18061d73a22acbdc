import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { redirect } from "@remix-run/node";
import { readCookie, serializeCookie } from "./cookies.server";
import type { MessageKey, MessageParams } from "./i18n";

/**
 * Flash messages: set on a redirect, shown once on the next page (the root loader reads and clears
 * them). The cookie is signed (HMAC-SHA256) so another site cannot plant messages; it holds a message
 * key, not text, so the next page shows it in the reader's language.
 */
export const TOAST_COOKIE = "kiln_toast";

export interface Toast {
  /** Tells two equal messages in a row apart (each is shown once). */
  id: string;
  kind: "success" | "info" | "error";
  key: MessageKey;
  params?: MessageParams;
}

export interface ToastOptions {
  secret: string;
  secure: boolean;
}

/** The request context carries both: `redirectWithToast(context, …)`. */
interface ToastContext {
  cookieSecret: string;
  isHttps: boolean;
}

const sign = (value: string, secret: string) => createHmac("sha256", secret).update(value).digest("base64url");

export function toastCookie(toast: Toast, { secret, secure }: ToastOptions): string {
  const payload = Buffer.from(JSON.stringify(toast)).toString("base64url");
  return serializeCookie(TOAST_COOKIE, `${payload}.${sign(payload, secret)}`, { maxAge: 60, secure });
}

export const clearToastCookie = (secure: boolean) => serializeCookie(TOAST_COOKIE, "", { maxAge: 0, secure });

export function readToast(request: Request, secret: string): Toast | null {
  const raw = readCookie(request, TOAST_COOKIE);
  if (!raw) return null;
  const [payload = "", signature = ""] = raw.split(".");
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const toast = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Toast;
    return typeof toast.key === "string" && typeof toast.id === "string" ? toast : null;
  } catch {
    return null;
  }
}

/** A redirect that shows `toast` on the next page; extra headers (e.g. Set-Cookie) are kept. */
export function redirectWithToast(
  context: ToastContext,
  url: string,
  toast: Omit<Toast, "id">,
  init: { headers?: HeadersInit } = {},
) {
  const headers = new Headers(init.headers);
  headers.append(
    "Set-Cookie",
    toastCookie({ id: randomUUID(), ...toast }, { secret: context.cookieSecret, secure: context.isHttps }),
  );
  return redirect(url, { headers });
}
