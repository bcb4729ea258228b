// An erasure at the edge (docs/privacy.md, "Erasure"): destroys every data key of the person, drops what
// this process and every other holds decrypted (unwrapped keys, command states), deletes the attachments they
// uploaded and the audit secrets of the events that held their fields, then records SubjectErased, from which the read models blank what they had projected. A
// failure part-way is retried by asking again: destroyed keys and deleted files are found gone, and the
// event is recorded then.
import type pg from 'pg';
import { destroyLeafSecrets } from '../audit/erasedSecrets.ts';
import { readEvents } from '../audit/scanEvents.ts';
import type { CommandContext } from '../commands/context.ts';
import { recordErasureQueued } from '../commands/recordErasureQueued.ts';
import { recordSubjectErased } from '../commands/recordSubjectErased.ts';
import type { AttachmentStorage } from '../storage/attachmentStorage.ts';
import { ENCRYPTED_EVENT_TYPES, subjectsOf } from './encryptedFields.ts';
import type { LegalHolds } from './legalHolds.ts';

/** what destroying data keys needs, for an erasure and for a retention run (applyRetention.ts) */
export type ShreddingDeps = {
  pool: pg.Pool;
  legalHolds: LegalHolds;
  attachments: AttachmentStorage;
  /** drops cached unwrapped keys and command states, here and in the other processes (Infrastructure's) */
  forgetCachedKeys(): void;
};

export type ErasureResult = {
  erasureId: string;
  /** queued: a legal hold covers some of the person's data; it runs when the holds are released */
  status: 'erased' | 'queued';
  heldBy: string[];
  subjectId: string;
  keysDestroyed: number;
  attachmentsDeleted: number;
  position: string;
};

export async function eraseSubject(
  ctx: CommandContext,
  deps: ShreddingDeps,
  request: { erasureId: string; subjectId: string },
): Promise<ErasureResult> {
  const { erasureId, subjectId } = request;
  const destruction = await deps.legalHolds.destroySubjectUnlessHeld(subjectId);
  if ('heldBy' in destruction) {
    await deps.legalHolds.queueErasure({ erasureId, subjectId, requestedBy: ctx.actor.userId });
    const queued = await recordErasureQueued(ctx, { erasureId, subjectId, heldBy: destruction.heldBy });
    return {
      erasureId,
      status: 'queued',
      heldBy: destruction.heldBy,
      subjectId,
      keysDestroyed: 0,
      attachmentsDeleted: 0,
      position: queued.position,
    };
  }
  const keys = destruction.destroyed;
  deps.forgetCachedKeys();
  ctx.stateCache?.clear();
  const attachments = await deps.attachments.deleteMatching((a) => a.uploaderId === subjectId);
  await destroyLeafSecrets(deps.pool, await eventsWithFieldsOf(ctx, subjectId, keys));
  const recorded = await recordSubjectErased(ctx, {
    erasureId,
    subjectId,
    keysDestroyed: keys.length,
    attachmentsDeleted: attachments.length,
  });
  await deps.legalHolds.erasureDone(erasureId);
  return {
    erasureId,
    status: 'erased',
    heldBy: [],
    subjectId,
    keysDestroyed: keys.length,
    attachmentsDeleted: attachments.length,
    position: recorded.position,
  };
}

/** ids of the events with fields under the destroyed keys: read room by room, only the encrypted types */
async function eventsWithFieldsOf(
  ctx: CommandContext,
  subjectId: string,
  keys: readonly { roomId: string }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const roomId of new Set(keys.map((key) => key.roomId))) {
    for await (const page of readEvents(ctx.eventStore, { roomId, eventTypes: ENCRYPTED_EVENT_TYPES })) {
      for (const event of page) if (subjectsOf(event.type, event).has(subjectId)) ids.push(event.id);
    }
  }
  return ids;
}

/** Runs every queued erasure no hold covers any more (after a release); SubjectErased keeps who asked. */
export async function runReleasedErasures(
  ctx: CommandContext,
  deps: ShreddingDeps,
): Promise<ErasureResult[]> {
  const done: ErasureResult[] = [];
  for (const queued of await deps.legalHolds.queuedErasures()) {
    const result = await eraseSubject(ctx, deps, queued);
    if (result.status === 'erased') done.push(result);
  }
  return done;
}
