import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useState } from "react";
import { z } from "zod";
import {
  createDropFromAllocation,
  createProduct,
  listEditions,
  listStudioDrops,
  ProductSchema,
  setDropPublished,
  StudioDropSchema,
} from "@kiln/drops";
import { requireCreatorTeam, submitIntent } from "../capacity.server";
import { FormErrors, Input, lastValue, type FormResult } from "../components/capacity";
import { PublishButton, useLiveRefresh } from "../components/studio-drops";
import { notFound } from "../errors.server";
import { useLocale, useT } from "../i18n/react";
import { redirectWithToast } from "../toast.server";

export const meta: MetaFunction = () => [{ title: "Drops · Studio · Kiln" }];

const PublishSchema = z.object({
  dropId: z.uuid({ error: "Drop not found" }),
  isPublished: z.enum(["true", "false"]).transform((v) => v === "true"),
});

/** The drops calendar with live sell-through, and the forms to make products and drops from allocations. */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { membership, ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const studio = await listStudioDrops(context.rt, ctx);
  // Co-op-wide editions a product may join (collabs with a shared lifetime limit).
  const editions = (await listEditions(context.rt, ctx)).map((e) => ({
    id: e.id,
    name: e.name,
    lifetimeLimit: e.lifetimeLimit,
  }));
  return {
    editions,
    creator: membership.creator ?? notFound(),
    // Default opening time of the form: Kiln's now, in UTC like the form's fields.
    now: context.rt.clock.now().toISOString().slice(0, 16),
    ...studio,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { ctx } = await requireCreatorTeam(context, request, params.creatorSlug);
  const formData = await request.formData();
  const back = new URL(request.url).pathname;
  switch (formData.get("intent")) {
    case "product":
      return submitIntent(
        formData,
        ProductSchema,
        (v) => createProduct(context.rt, ctx, v),
        () => redirectWithToast(context, back, { kind: "success", key: "studioDrops.productCreated" }),
      );
    case "drop":
      return submitIntent(
        formData,
        StudioDropSchema,
        (v) => createDropFromAllocation(context.rt, ctx, v),
        (drop) =>
          redirectWithToast(context, `${back}/${(drop as { id: string }).id}`, {
            kind: "success",
            key: "studioDrops.dropCreated",
          }),
      );
    case "publish":
      return submitIntent(
        formData,
        PublishSchema,
        (v) => setDropPublished(context.rt, ctx, v.dropId, v.isPublished),
        () => redirectWithToast(context, back, { kind: "success", key: "studioDrops.publishChanged" }),
      );
    default:
      return notFound();
  }
}

function Checkboxes({
  legend,
  name,
  options,
}: {
  legend: string;
  name: string;
  options: { id: string; name: string }[];
}) {
  return (
    <fieldset className="field">
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.id}>
          <input type="checkbox" name={name} value={o.id} /> {o.name}
        </label>
      ))}
    </fieldset>
  );
}

export default function StudioDrops() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as FormResult;
  const t = useT();
  const locale = useLocale();
  useLiveRefresh();
  const when = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });
  const [allocationKey, setAllocationKey] = useState(data.allocations.find((a) => a.remainingUnits > 0)?.key ?? "");
  const [productId, setProductId] = useState("");
  const allocation = data.allocations.find((a) => a.key === allocationKey);
  const fitting = data.products.filter((p) => p.capability === allocation?.capability);
  const product = fitting.find((p) => p.id === productId) ?? fitting[0];
  const capabilities = [...new Set(data.allocations.map((a) => a.capability))];
  return (
    <>
      <section className="card" aria-labelledby="drops-title">
        <h1 id="drops-title">{t("studioDrops.title", { name: data.creator.displayName })}</h1>
        <p className="muted">{t("studioDrops.lead")}</p>
      </section>
      {(["upcoming", "open", "closed"] as const).map((phase) => {
        const drops = data.drops.filter((d) => d.phase === phase);
        return (
          <section key={phase} className="card" aria-labelledby={`drops-${phase}`}>
            <h2 id={`drops-${phase}`}>{t(`studioDrops.phase.${phase}`)}</h2>
            {drops.length === 0 ? (
              <p className="empty">{t("studioDrops.none")}</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("studioDrops.drop")}</th>
                    <th scope="col">{t("studioDrops.opens")}</th>
                    <th scope="col">{t("studioDrops.closes")}</th>
                    <th scope="col">{t("studioDrops.sellThrough")}</th>
                    <th scope="col">{t("studioDrops.storefront")}</th>
                  </tr>
                </thead>
                <tbody>
                  {drops.map((d) => (
                    <tr key={d.id} data-drop={d.id} data-phase={d.phase}>
                      <td>
                        <Link to={d.id}>{d.title}</Link>
                        <br />
                        <span className="muted">
                          {d.productTitle} · {d.capability} {d.period}
                          {d.isMemberOnly ? ` · ${t("drops.memberOnly")}` : ""}
                          {d.isHot ? ` · ${t("studioDrops.hot")}` : ""}
                        </span>
                      </td>
                      <td>{when.format(new Date(d.opensAt))} UTC</td>
                      <td>{d.closesAt ? `${when.format(new Date(d.closesAt))} UTC` : "—"}</td>
                      <td data-remaining={d.remaining} data-reserved={d.reserved} data-confirmed={d.confirmed}>
                        {t("studioDrops.sold", {
                          confirmed: d.confirmed,
                          reserved: d.reserved,
                          remaining: d.remaining,
                          quantity: d.quantity,
                        })}
                        {d.waiting ? ` · ${t("studioDrops.waitingCount", { count: d.waiting })}` : ""}
                      </td>
                      <td>
                        {t(d.isPublished ? "studioDrops.published" : "studioDrops.draft")}
                        <PublishButton dropId={d.id} isPublished={d.isPublished} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        );
      })}
      <section className="card" aria-labelledby="new-drop-title">
        <h2 id="new-drop-title">{t("studioDrops.newDrop")}</h2>
        {data.allocations.length === 0 ? (
          <p className="empty">
            {t("studioDrops.noAllocations")}{" "}
            <Link to={`/studio/${data.creator.slug}/capacity`}>{t("capacity.nav")}</Link>
          </p>
        ) : (
          <Form method="post" className="capacity-form">
            <input type="hidden" name="intent" value="drop" />
            <FormErrors result={result} intent="drop" />
            <div className="field">
              <label htmlFor="drop-allocation">{t("studioDrops.allocation")}</label>
              <select
                id="drop-allocation"
                name="allocation"
                value={allocationKey}
                onChange={(e) => setAllocationKey(e.target.value)}
              >
                {data.allocations.map((a) => (
                  <option key={a.key} value={a.key}>
                    {t("studioDrops.allocationOption", {
                      capability: a.capability,
                      period: a.period,
                      left: a.remainingUnits,
                      units: a.units,
                      shipBy: a.shipBy ?? "—",
                    })}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="drop-product">{t("studioDrops.product")}</label>
              <select
                id="drop-product"
                name="productId"
                value={product?.id ?? ""}
                onChange={(e) => setProductId(e.target.value)}
              >
                {fitting.length === 0 ? <option value="">{t("studioDrops.noProducts")}</option> : null}
                {fitting.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.title} ({p.sku})
                  </option>
                ))}
              </select>
            </div>
            <Input
              label={t("studioDrops.dropTitle")}
              name="title"
              required
              defaultValue={lastValue(result, "drop", "title")}
            />
            <Input
              label={t("studioDrops.quantity")}
              name="quantity"
              type="number"
              min={1}
              required
              defaultValue={lastValue(result, "drop", "quantity")}
              hint={
                allocation
                  ? t("studioDrops.quantityHint", {
                      max: Math.floor(allocation.remainingUnits / (product?.capacityUnitsPerItem ?? 1)),
                      shipBy: allocation.shipBy ?? "—",
                    })
                  : undefined
              }
            />
            <TimeInput
              label={t("studioDrops.opensAt")}
              name="opensAt"
              defaultValue={lastValue(result, "drop", "opensAt") ?? data.now}
              required
            />
            <TimeInput
              label={t("studioDrops.closesAt")}
              name="closesAt"
              defaultValue={lastValue(result, "drop", "closesAt")}
            />
            {data.tiers.length ? (
              <>
                <Checkboxes legend={t("studioDrops.tiers")} name="tierIds" options={data.tiers} />
                <Checkboxes legend={t("studioDrops.earlyTiers")} name="earlyAccessTierIds" options={data.tiers} />
                <TimeInput
                  label={t("studioDrops.earlyAccessAt")}
                  name="earlyAccessAt"
                  defaultValue={lastValue(result, "drop", "earlyAccessAt")}
                />
              </>
            ) : null}
            <Input
              label={t("studioDrops.perMemberLimit")}
              name="perMemberLimit"
              type="number"
              min={1}
              defaultValue={lastValue(result, "drop", "perMemberLimit") ?? 1}
            />
            <Input
              label={t("studioDrops.holdMinutes")}
              name="holdMinutes"
              type="number"
              min={1}
              defaultValue={lastValue(result, "drop", "holdMinutes") ?? 10}
            />
            <label>
              <input
                type="checkbox"
                name="isHot"
                value="on"
                defaultChecked={lastValue(result, "drop", "isHot") === "on"}
              />{" "}
              {t("studioDrops.isHot")}
            </label>
            <Input
              label={t("studioDrops.bucketCount")}
              name="bucketCount"
              type="number"
              min={1}
              defaultValue={lastValue(result, "drop", "bucketCount") ?? 1}
            />
            <label>
              <input type="checkbox" name="isPublished" value="on" /> {t("studioDrops.publishNow")}
            </label>
            <button type="submit">{t("studioDrops.create")}</button>
          </Form>
        )}
      </section>
      <section className="card" aria-labelledby="new-product-title">
        <h2 id="new-product-title">{t("studioDrops.newProduct")}</h2>
        <Form method="post" className="capacity-form">
          <input type="hidden" name="intent" value="product" />
          <FormErrors result={result} intent="product" />
          <Input
            label={t("studioDrops.productTitle")}
            name="title"
            required
            defaultValue={lastValue(result, "product", "title")}
          />
          <Input label={t("studioDrops.sku")} name="sku" required defaultValue={lastValue(result, "product", "sku")} />
          <div className="field">
            <label htmlFor="product-capability">{t("capacity.capability")}</label>
            <select id="product-capability" name="capability" defaultValue={lastValue(result, "product", "capability")}>
              {capabilities.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
          <Input
            label={t("studioDrops.price")}
            name="priceMinor"
            type="number"
            min={0}
            required
            defaultValue={lastValue(result, "product", "priceMinor")}
          />
          <Input
            label={t("studioDrops.delivery")}
            name="deliveryMinor"
            type="number"
            min={0}
            defaultValue={lastValue(result, "product", "deliveryMinor") ?? 0}
          />
          <Input
            label={t("studioDrops.currency")}
            name="currency"
            required
            defaultValue={lastValue(result, "product", "currency") ?? "EUR"}
          />
          <Input
            label={t("studioDrops.unitsPerItem")}
            name="capacityUnitsPerItem"
            type="number"
            min={1}
            defaultValue={lastValue(result, "product", "capacityUnitsPerItem") ?? 1}
          />
          <Input
            label={t("studioDrops.lifetimeLimit")}
            name="lifetimeLimit"
            type="number"
            min={1}
            hint={t("studioDrops.lifetimeLimitHint")}
            defaultValue={lastValue(result, "product", "lifetimeLimit")}
          />
          {data.editions.length ? (
            <div className="field">
              <label htmlFor="product-edition">{t("studioDrops.edition")}</label>
              <select
                id="product-edition"
                name="editionId"
                defaultValue={lastValue(result, "product", "editionId") ?? ""}
              >
                <option value="">{t("studioDrops.noEdition")}</option>
                {data.editions.map((e) => (
                  <option key={e.id} value={e.id}>
                    {t("studioDrops.editionOption", { name: e.name, limit: e.lifetimeLimit })}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <Input
            label={t("studioDrops.tags")}
            name="tags"
            hint={t("studioDrops.tagsHint")}
            defaultValue={lastValue(result, "product", "tags")}
          />
          <button type="submit">{t("studioDrops.createProduct")}</button>
        </Form>
      </section>
    </>
  );
}

function TimeInput({
  label,
  name,
  defaultValue,
  required,
}: {
  label: string;
  name: string;
  defaultValue?: string | undefined;
  required?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={`drop-${name}`}>{label}</label>
      <input id={`drop-${name}`} name={name} type="datetime-local" defaultValue={defaultValue} required={required} />
    </div>
  );
}
