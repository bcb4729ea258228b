// Two exports of one log taken at different times: both verify, and the newer proves, with a consistency
// proof it carries from the older's tree size, that its history extends the older's (nothing rewritten).
import type { VerificationFailure, VerifiedExport } from './verifyExport.ts';
import { verifyExport } from './verifyExport.ts';

export type ConsistencyResult =
  | { ok: true; older: VerifiedExport; newer: VerifiedExport }
  | { ok: false; file: 'old' | 'new' | 'both'; failure: VerificationFailure };

export async function verifyExportConsistency(
  oldExport: AsyncIterable<string | Uint8Array>,
  newExport: AsyncIterable<string | Uint8Array>,
  verifierKey: string,
): Promise<ConsistencyResult> {
  const older = await verifyExport(oldExport, verifierKey);
  if (!older.ok) return { ok: false, file: 'old', failure: older.failure };
  const newer = await verifyExport(newExport, verifierKey);
  if (!newer.ok) return { ok: false, file: 'new', failure: newer.failure };
  const fail = (reason: string): ConsistencyResult => ({
    ok: false,
    file: 'both',
    failure: { line: 0, reason },
  });
  const old = older.export.checkpoint;
  const now = newer.export.checkpoint;
  if (old.origin !== now.origin) return fail(`the exports are of two logs: ${old.origin} and ${now.origin}`);
  if (old.size > now.size)
    return fail(`OLD (tree size ${old.size}) is newer than NEW (tree size ${now.size})`);
  if (old.size === now.size) {
    return old.rootHash.equals(now.rootHash)
      ? { ok: true, older: older.export, newer: newer.export }
      : fail(`both exports are of tree size ${old.size} with different roots: the history was rewritten`);
  }
  // NEW's consistency lines were verified against NEW's signed root; one must start at OLD's signed head
  const proven = newer.export.extends.find((head) => head.size === old.size);
  if (proven === undefined) return fail(`NEW carries no consistency proof from OLD's tree size ${old.size}`);
  if (!proven.root.equals(old.rootHash)) {
    return fail(
      `at tree size ${old.size} NEW's log had another root than the one OLD's checkpoint signed: the history was rewritten`,
    );
  }
  return { ok: true, older: older.export, newer: newer.export };
}
