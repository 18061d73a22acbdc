/** Minimal, script-free HTML for the hosted pages (forms work without JavaScript). */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export function formatAmount(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Stripe emulator</title>
<style>
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
.banner{background:#fff4d6;border:1px solid #e8c66a;padding:.5rem .75rem;font-size:.85rem;border-radius:4px}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #888;border-radius:4px}
button{font:inherit;padding:.6rem 1.2rem;margin-top:1rem;border:0;border-radius:4px;background:#635bff;color:#fff;cursor:pointer}
button.secondary{background:#ddd;color:#1a1a1a}
.error{color:#b00020;font-weight:600}
.row{display:flex;gap:.75rem}.row>div{flex:1}
</style>
</head>
<body>
<p class="banner" role="note">Test mode — Stripe emulator. No real payment is made.</p>
${body}
</body>
</html>`;
}

export function cardFields(): string {
  return `<label for="cardnumber">Card number</label>
<input id="cardnumber" name="cardnumber" inputmode="numeric" autocomplete="cc-number" required placeholder="4242 4242 4242 4242">
<div class="row">
<div><label for="exp">Expiry (MM / YY)</label><input id="exp" name="exp" required placeholder="12 / 34" autocomplete="cc-exp"></div>
<div><label for="cvc">CVC</label><input id="cvc" name="cvc" inputmode="numeric" required placeholder="123" autocomplete="cc-csc"></div>
</div>`;
}

export interface HostedResponse {
  status?: number;
  html?: string;
  redirect?: string;
}

export function notFoundPage(): HostedResponse {
  return { status: 404, html: page("Not found", "<h1>Not found</h1><p>This link is not valid.</p>") };
}
