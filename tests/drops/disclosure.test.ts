import { describe, expect, it } from "vitest";
import { buildGoodsDisclosure, type GoodsOrderTerms } from "../../app/app/goods-disclosure";
import { renderGoodsOrderSummary } from "../../app/app/goods-order.server";

/** The goods disclosure of Kiln's order page (consumer-law-2026.md §2.1, §2.2, §2.4 EU-W8, X-W6). */
const terms: GoodsOrderTerms = {
  productTitle: "Night print",
  description: "A3 screenprint.",
  quantity: 2,
  priceMinor: 2500,
  deliveryMinor: 490,
  currency: "EUR",
  withdrawalExemptionReason: null,
  shipBy: "2026-12-18",
  trader: { name: "Studio Nacht", address: "Hauptstr. 1, 10115 Berlin", email: "hallo@nacht.example" },
  withdrawalFunctionUrl: "/account/withdraw",
  withdrawalInstructionsUrl: "/legal/withdrawal",
};

describe("goods order disclosure", () => {
  it("states the tax-inclusive total with delivery, withdrawal with return costs, the seller, and an allowed button label", () => {
    const en = buildGoodsDisclosure(terms, "en");
    expect(en.items.map((i) => i.id)).toEqual(["description", "price", "delivery", "withdrawal", "trader"]);
    expect(en.items[1]!.text).toBe(
      "€50.00 for the goods plus €4.90 delivery: €54.90 in total, incl. VAT and other taxes.",
    );
    expect(en.items[3]!.text).toContain("14 days");
    expect(en.items[3]!.text).toContain("cost of returning");
    expect(en.items[3]!.links.map((l) => l.entry)).toContain("withdraw");
    expect(en.items[4]!.text).toContain("Studio Nacht");
    expect(en.buttonLabel).toBe("Order with obligation to pay");
    const de = buildGoodsDisclosure(terms, "de");
    expect(de.buttonLabel).toBe("Zahlungspflichtig bestellen");
    expect(de.items[1]!.text).toContain("54,90");
  });

  it("discloses the exemption reason instead of the withdrawal right for exempt goods (CRD art 16)", () => {
    const model = buildGoodsDisclosure({ ...terms, withdrawalExemptionReason: "made to your specification" }, "en");
    expect(model.items.map((i) => i.id)).toEqual(["description", "price", "delivery", "exemption", "trader"]);
    expect(model.items[3]!.text).toContain("made to your specification");
  });

  it("renders the disclosure directly above the order button", () => {
    const html = renderGoodsOrderSummary(terms, "de");
    const block = html.indexOf("data-disclosure-block");
    const blockEnd = html.indexOf("</section>", block);
    const button = html.indexOf("data-order-button");
    expect(block).toBeGreaterThan(-1);
    expect(blockEnd).toBeLessThan(button);
    // Between the block and the button: nothing but (hidden) inputs.
    expect(html.slice(blockEnd + "</section>".length, html.lastIndexOf("<button", button))).toMatch(
      /^(<input[^>]*type="hidden"[^>]*\/?>)*$/,
    );
    expect(html).toContain("Zahlungspflichtig bestellen");
    expect(html).toContain('data-disclosure="withdrawal"');
  });
});
