// A hot drop's waiting room (issue 8 §6): polls the member's place and claims once admitted.
// Static and cacheable like the page that loads it; everything per member comes from the JSON API.
(() => {
  const root = document.getElementById("queue");
  if (!root) return;
  const status = document.getElementById("status");
  const button = document.getElementById("claim");
  const dropId = root.dataset.drop;
  const say = (key, params = {}) => {
    status.textContent = (root.dataset[key] || "").replace(/\{(\w+)\}/g, (m, k) => (k in params ? params[k] : m));
  };
  const eta = (s) => (s >= 120 ? `${Math.round(s / 60)} min` : `${Math.max(1, Math.round(s))} s`);
  let token = null;
  const idempotencyKey = `queue-${crypto.randomUUID()}`;

  async function poll() {
    let after = 5;
    try {
      const res = await fetch(`/api/v1/drops/${dropId}/queue`, { credentials: "same-origin" });
      if (res.status === 401) return say("signin");
      if (res.status === 429) {
        say("slowdown");
        after = Number(res.headers.get("Retry-After")) || 10;
      } else if (res.ok) {
        const { queue } = await res.json();
        after = queue.pollAfterSeconds || 5;
        if (queue.state === "sold_out") return say("soldout");
        if (queue.state === "claimed") return say("claimed");
        if (queue.state === "admitted") {
          token = queue.token;
          say("admitted");
          button.hidden = false;
          return;
        }
        if (queue.position === null) say("beforeopen", { eta: eta(queue.etaSeconds) });
        else say("position", { position: queue.position, eta: eta(queue.etaSeconds) });
      }
    } catch {
      after = 10;
    }
    setTimeout(poll, after * 1000);
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    const res = await fetch(`/api/v1/drops/${dropId}/claims`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
      body: JSON.stringify({ quantity: 1, admissionToken: token }),
    });
    if (res.status === 201) {
      const { claim } = await res.json();
      const page = root.dataset.dropPage.replace(/\/drops\/[^/]+$/, `/drops/claims/${claim.id}`);
      window.location.assign(page);
      return;
    }
    button.hidden = true;
    button.disabled = false;
    setTimeout(poll, 1000);
  });

  poll();
})();
