import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson, entryHash } from "@kiln/audit";
import { contentHash, TermsSchema } from "@kiln/compliance";
import { EVIDENCE_FORMAT, packBodyOf, packHashOf, packMacOf, type EvidencePack, type PackAuditEntry } from "./evidence";

export type EvidenceVerification =
  { ok: true; packHash: string; entries: number; checkpointSeq: number } | { ok: false; problems: string[] };

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const sameHex = (a: string, b: string) =>
  a.length === b.length && /^[0-9a-f]*$/.test(a) && timingSafeEqual(Buffer.from(a, "hex"), Buffer.from(b, "hex"));
/** The checkpoint MAC exactly as @kiln/audit writes it (HMAC-SHA256 of the canonical coopId/seq/hash/at). */
const checkpointMac = (key: string, c: { coopId: string; seq: number; hash: string; at: string }) =>
  createHmac("sha256", key)
    .update(canonicalJson({ coopId: c.coopId, seq: c.seq, hash: c.hash, at: c.at }), "utf8")
    .digest("hex");

/**
 * Verifies an evidence pack offline (no database): the pack's hash and signature, the checkpoint's
 * signature, the audit chain segment (every entry's hash recomputed, every link, no gap, ending at
 * the signed checkpoint), and that the pack's records agree with the chain (consents' disclosure and
 * terms hashes, terms versions' content hashes). Any changed field makes it fail.
 */
export function verifyEvidencePack(input: string | EvidencePack, checkpointKey: string): EvidenceVerification {
  const problems: string[] = [];
  let pack: EvidencePack;
  try {
    pack = (typeof input === "string" ? JSON.parse(input) : input) as EvidencePack;
  } catch {
    return { ok: false, problems: ["the pack is not JSON"] };
  }
  if (!pack || typeof pack !== "object" || pack.format !== EVIDENCE_FORMAT)
    return { ok: false, problems: [`the pack is not a ${EVIDENCE_FORMAT} document`] };

  // 1. The whole pack: hash and signature.
  let packHash = "";
  try {
    packHash = packHashOf(packBodyOf(pack));
  } catch (error) {
    return { ok: false, problems: [`the pack cannot be canonicalised: ${(error as Error).message}`] };
  }
  if (packHash !== pack.packHash) problems.push("packHash does not match the pack's content (it was changed)");
  if (typeof pack.mac !== "string" || !sameHex(packMacOf(checkpointKey, packHash), pack.mac))
    problems.push("the pack's signature is invalid (changed, or signed with another key)");

  // 2. The checkpoint.
  const audit = pack.audit;
  const cp = audit?.checkpoint;
  if (!cp) problems.push("the pack has no signed checkpoint");
  else {
    if (typeof cp.mac !== "string" || !sameHex(checkpointMac(checkpointKey, cp), cp.mac))
      problems.push("the checkpoint's signature is invalid");
    if (cp.coopId !== pack.coop?.id || audit.coopId !== pack.coop?.id)
      problems.push("the checkpoint names another co-op");
  }

  // 3. The chain segment, recomputed.
  const entries: PackAuditEntry[] = Array.isArray(audit?.entries) ? audit.entries : [];
  const bySeq = new Map<number, PackAuditEntry>();
  entries.forEach((e, i) => {
    bySeq.set(e.seq, e);
    const prev = entries[i - 1];
    if (prev && e.seq !== prev.seq + 1) problems.push(`audit entry ${prev.seq + 1} is missing from the segment`);
    if (prev && e.prevHash !== prev.hash) problems.push(`audit entry ${e.seq} does not link to entry ${prev.seq}`);
    let recomputed = "";
    try {
      recomputed = entryHash({
        coopId: audit.coopId,
        seq: e.seq,
        prevHash: e.prevHash,
        action: e.action,
        actorUserId: e.actorUserId,
        subjectType: e.subjectType,
        subjectId: e.subjectId,
        data: e.data,
        personalDataId: e.personalDataId,
        occurredAt: new Date(e.occurredAt),
      });
    } catch {
      recomputed = "";
    }
    if (recomputed !== e.hash) problems.push(`audit entry ${e.seq} does not match its hash (it was changed)`);
  });
  if (cp) {
    const last = entries.at(-1);
    if (!last || last.seq !== cp.seq || last.hash !== cp.hash)
      problems.push("the chain segment does not end at the signed checkpoint");
  }
  for (const seq of audit?.relevantSeqs ?? [])
    if (!bySeq.has(seq)) problems.push(`audit entry ${seq} concerning the pack is not in the segment`);

  // 4. The records agree with the chain and with their own hashes.
  for (const c of pack.consents ?? []) {
    const text = typeof c.disclosureText === "string" ? c.disclosureText : "";
    if (sha256(text) !== c.disclosureHash)
      problems.push(`consent ${String(c.id)}: the disclosure text does not match its hash`);
    if (c.auditSeq !== null && c.auditSeq !== undefined) {
      const e = bySeq.get(Number(c.auditSeq));
      if (!e || e.subjectType !== "consent" || e.subjectId !== c.id)
        problems.push(`consent ${String(c.id)}: its audit entry is not in the segment`);
      else if (
        e.data.disclosureHash !== c.disclosureHash ||
        e.data.termsHash !== c.termsHash ||
        (e.data.buttonLabel !== undefined && e.data.buttonLabel !== c.buttonLabel)
      )
        problems.push(`consent ${String(c.id)}: differs from its audit entry`);
    }
  }
  for (const v of pack.termsVersions ?? []) {
    let hash = "";
    try {
      hash = contentHash(TermsSchema.parse(v.terms));
    } catch {
      hash = "";
    }
    if (hash !== v.contentHash) problems.push(`terms version ${String(v.id)}: the terms do not match their hash`);
  }

  return problems.length
    ? { ok: false, problems }
    : { ok: true, packHash, entries: entries.length, checkpointSeq: cp!.seq };
}
