export { appendAudit, AuditEntrySchema, type AuditEntry } from "./append-audit";
export { canonicalJson, entryHash, GENESIS_HASH, type HashedEntry } from "./canonical";
export { readCheckpoints, type Checkpoint, type CheckpointLine, type CheckpointOptions } from "./checkpoints";
export { erasePersonalData } from "./erase-personal-data";
export { listAudit, type AuditListEntry } from "./list-audit";
export { verifyChain, type ChainProblem, type VerifyOptions, type VerifyResult } from "./verify-chain";
export { getChainHead, writeAllCheckpoints, writeCheckpoint, type CheckpointOutcome } from "./write-checkpoint";
export { AUDIT_USAGE, parseAuditArgs, runAuditCommand, type AuditArgs, type AuditCommandIo } from "./audit-command";
