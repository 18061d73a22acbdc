import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { isLocale, translate, type Locale, type MessageKey } from "../i18n";

/**
 * A hot drop's waiting room (issue 8 §6): one static HTML document per drop and language, the same for
 * every visitor — no session, no per-user content, no database — so a CDN or the browser can cache it
 * (`Cache-Control: public`). The script (/drop-queue.js, also static) polls
 * GET /api/v1/drops/{id}/queue for the member's place and, once admitted, claims with the single-use
 * admission token. The language comes from `?lang=de` (part of the cache key), not from cookies.
 */
const Params = z.object({ creatorSlug: z.string().regex(/^[a-z0-9-]{1,80}$/), dropId: z.uuid() });

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const STRINGS: MessageKey[] = [
  "dropQueue.beforeOpen",
  "dropQueue.position",
  "dropQueue.admitted",
  "dropQueue.claim",
  "dropQueue.claimed",
  "dropQueue.soldOut",
  "dropQueue.signIn",
  "dropQueue.slowDown",
];

export function waitingRoomHtml(locale: Locale, creatorSlug: string, dropId: string): string {
  const t = (key: MessageKey) => escape(translate(locale, key));
  const dropPage = `/s/${creatorSlug}/drops/${dropId}`;
  const strings = STRINGS.map((k) => `data-${k.replace("dropQueue.", "").toLowerCase()}="${t(k)}"`).join(" ");
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("dropQueue.title")}</title>
<script src="/drop-queue.js" defer></script>
</head>
<body>
<main id="queue" data-drop="${dropId}" data-drop-page="${escape(dropPage)}" ${strings}>
<h1>${t("dropQueue.title")}</h1>
<p>${t("dropQueue.lead")}</p>
<p id="status" role="status" aria-live="polite"><noscript>${t("dropQueue.noScript")}</noscript></p>
<p><button id="claim" type="button" hidden>${t("dropQueue.claim")}</button></p>
<p><a href="${escape(dropPage)}">${t("dropQueue.back")}</a></p>
</main>
</body>
</html>
`;
}

export function loader({ params, request }: LoaderFunctionArgs) {
  const parsed = Params.safeParse(params);
  if (!parsed.success) return new Response("Not found", { status: 404 });
  const lang = new URL(request.url).searchParams.get("lang");
  const locale: Locale = isLocale(lang) ? lang : "en";
  return new Response(waitingRoomHtml(locale, parsed.data.creatorSlug, parsed.data.dropId), {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "public, max-age=60, s-maxage=300",
    },
  });
}
