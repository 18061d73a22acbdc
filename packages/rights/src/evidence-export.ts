import type { Runtime, TenantContext } from "@kiln/db";
import {
  auditEvidenceExport,
  buildEvidencePack,
  evidencePackJson,
  type EvidenceLocale,
  type EvidenceOptions,
  type EvidencePack,
  type EvidenceScopeInput,
} from "./evidence";
import { renderEvidencePdf } from "./evidence-pdf";

export type EvidenceExport =
  | { format: "json"; pack: EvidencePack; body: string; contentType: string; filename: string }
  | { format: "pdf"; pack: EvidencePack; body: Uint8Array<ArrayBuffer>; contentType: string; filename: string };

/**
 * What the download routes call: builds the signed pack for a reviewer, renders it (canonical JSON or
 * PDF) and records the export in the co-op's audit chain (who exported which pack, in which format).
 */
export async function exportEvidencePack(
  rt: Runtime,
  actor: TenantContext,
  input: EvidenceScopeInput,
  options: EvidenceOptions & { format: "json" | "pdf"; locale?: EvidenceLocale },
): Promise<EvidenceExport> {
  const pack = await buildEvidencePack(rt, actor, input, options);
  const stem = `evidence-${pack.coop.slug}-${pack.scope.kind}-${pack.packHash.slice(0, 12)}`;
  const out: EvidenceExport =
    options.format === "pdf"
      ? {
          format: "pdf",
          pack,
          body: new Uint8Array(await renderEvidencePdf(pack, options.locale ?? "en")),
          contentType: "application/pdf",
          filename: `${stem}.pdf`,
        }
      : {
          format: "json",
          pack,
          body: evidencePackJson(pack),
          contentType: "application/json; charset=utf-8",
          filename: `${stem}.json`,
        };
  await auditEvidenceExport(rt, actor, pack, options.format);
  return out;
}
