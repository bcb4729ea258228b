// An export of the log as it is now: sequence what the store holds, take a signed checkpoint (or the
// latest, when nothing new was sequenced), then stream the rooms' events with their proofs through the
// export writer, a page of events at a time: the file is never built in memory. It yields the file's
// text in pieces of whole lines (a page of event lines at a time).
// A time range (`from`, `to`) keeps every event of the rooms in the file, because completeness is
// proven by rebuilding each room's tree from all of its events; the events outside the range carry no
// text (their personal fields as commitments only, as after an erasure).
import type pg from 'pg';
import { type EventStore, encodePosition, type RecordedEvent } from '../eventstore/eventStore.ts';
import { createExportWriter, type ExportSourceEvent } from './exportWriter.ts';
import {
  checkpointAuditLog,
  earlierCheckpointSizes,
  PostgresHashStore,
  roomLeafHashes,
  sequenceAuditLog,
  storedLeaves,
} from './postgresAuditLog.ts';
import { readEvents } from './scanEvents.ts';
import type { NoteSigner } from './signedNote.ts';

export type ExportScope = { readonly roomId: string } | { readonly all: true };

export type ExportOptions = {
  readonly scope: ExportScope;
  readonly from?: Date;
  readonly to?: Date;
  /** events written so far of `total` (the exported rooms' sizes at the checkpoint) */
  readonly onProgress?: (written: number, total: number) => void;
};

export class RoomNotInLog extends Error {
  override readonly name = 'RoomNotInLog';
  constructor(roomId: string) {
    super(`room ${roomId} has no events in the audit log`);
  }
}

export async function* exportAuditLog(
  pool: pg.Pool,
  store: EventStore,
  signer: NoteSigner,
  options: ExportOptions,
): AsyncGenerator<string> {
  await sequenceAuditLog(pool, store);
  const checkpoint = await checkpointAuditLog(pool, signer);
  const { scope } = options;
  const rooms = 'roomId' in scope ? [scope.roomId] : checkpoint.roomHeads.map((head) => head.roomId);
  const heads = new Map(checkpoint.roomHeads.map((head) => [head.roomId, head]));
  if ('roomId' in scope && !heads.has(scope.roomId)) throw new RoomNotInLog(scope.roomId);
  const total = rooms.reduce((sum, roomId) => sum + heads.get(roomId)!.size, 0);
  const inRange = (event: RecordedEvent) =>
    (!options.from || event.recordedAt >= options.from) && (!options.to || event.recordedAt <= options.to);

  async function* events(): AsyncGenerator<ExportSourceEvent[]> {
    let written = 0;
    options.onProgress?.(0, total);
    const filter = 'roomId' in scope ? { roomId: scope.roomId } : undefined;
    try {
      for await (const page of readEvents(store, filter)) {
        const inRooms = page.filter((event) => event.metadata.roomId !== undefined);
        const stored = await storedLeaves(pool, inRooms);
        const sources: ExportSourceEvent[] = [];
        for (const event of inRooms) {
          const leaf = stored.get(encodePosition(event.position));
          // past the checkpoint: appended (or sequenced) after it was signed
          if (!leaf || leaf.leafIndex >= checkpoint.size - 1) break;
          sources.push({ event, stored: inRange(event) ? leaf : { ...leaf, secret: null } });
        }
        yield sources;
        written += sources.length;
        options.onProgress?.(written, total);
        if (sources.length < inRooms.length) return;
      }
    } finally {
      options.onProgress?.(written, total);
    }
  }

  yield* createExportWriter({
    checkpointNote: checkpoint.note,
    store: new PostgresHashStore(pool),
    rooms,
    roomHeads: checkpoint.roomHeads,
    roomLeafHashes: await roomLeafHashes(pool, rooms, checkpoint.size),
    events: events(),
    consistencyFrom: await earlierCheckpointSizes(pool, checkpoint.size),
  });
}
