// Writes an export: given a signed checkpoint, the hash store, the room heads the checkpoint committed to,
// and the exported rooms' events in global order with what the log stored for each, it yields the JSONL
// lines one at a time (a batch of events at most in memory). It checks what it writes against the log:
// an event whose leaf is not the stored one, or a room whose events do not rebuild its signed head, stops
// the export with an error instead of producing a file that would not verify.
import type { RecordedEvent } from '../eventstore/eventStore.ts';
import { encodeBase64 } from './base64.ts';
import { parseCheckpoint } from './checkpoint.ts';
import {
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  type ExportLine,
  formatLine,
  type RoomHeadEntry,
} from './exportFormat.ts';
import type { HashStore } from './hashStore.ts';
import { auditEventOf, revealEvent, roomIdOf, type StoredLeaf } from './leaf.ts';
import { hashLeaf, TreeBuilder } from './merkleTree.ts';
import { ProofGenerator } from './proofGenerator.ts';
import { type RoomHead, RoomHeadsTree, roomHeadsLeafBytes } from './roomHeads.ts';

export type ExportSourceEvent = { readonly event: RecordedEvent; readonly stored: StoredLeaf };

export type ExportWriterOptions = {
  /** the signed checkpoint note the export is taken at */
  readonly checkpointNote: string;
  readonly store: HashStore;
  /** the rooms exported; their events, and only theirs, come in `events` */
  readonly rooms: readonly string[];
  /** every room's head at the checkpoint, sorted by room id (what its room heads leaf committed to) */
  readonly roomHeads: readonly RoomHead[];
  /** the exported rooms' events up to the checkpoint, in global order */
  readonly events: AsyncIterable<ExportSourceEvent>;
  /** earlier tree sizes (earlier exports' checkpoints) to prove this one extends */
  readonly consistencyFrom?: readonly number[];
  /** events whose proofs are read from the store in one call */
  readonly batchSize?: number;
};

export class ExportSourceMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportSourceMismatch';
  }
}

export async function* createExportWriter(options: ExportWriterOptions): AsyncGenerator<string> {
  const checkpoint = parseCheckpoint(
    options.checkpointNote.slice(0, options.checkpointNote.lastIndexOf('\n\n') + 1),
  );
  const size = checkpoint.size;
  const generator = new ProofGenerator(options.store, size);
  if (!(await generator.root()).equals(checkpoint.rootHash)) {
    throw new ExportSourceMismatch(`the hash store's tree at size ${size} is not the checkpoint's`);
  }
  const rooms = [...new Set(options.rooms)].sort();
  if (rooms.length === 0) throw new RangeError('an export needs at least one room');
  const headsTree = new RoomHeadsTree(options.roomHeads);
  const roomTrees = new Map(rooms.map((roomId) => [roomId, new TreeBuilder()]));

  yield formatLine({
    t: 'header',
    format: EXPORT_FORMAT,
    version: EXPORT_FORMAT_VERSION,
    rooms,
    checkpoint: options.checkpointNote,
  });

  const batchSize = options.batchSize ?? 256;
  let batch: ExportSourceEvent[] = [];
  let events = 0;
  let lastIndex = -1;
  const flush = async function* (): AsyncGenerator<string> {
    const proofs = await generator.inclusionProofs(batch.map((b) => b.stored.leafIndex));
    for (let k = 0; k < batch.length; k++) {
      const { event, stored } = batch[k]!;
      const audited = auditEventOf(event);
      const revealed = revealEvent(audited, stored);
      const proof = proofs[k]!;
      if (!revealed.leafHash.equals(proof.leafHash)) {
        throw new ExportSourceMismatch(
          `event ${audited.id} is not the event the log holds at leaf ${stored.leafIndex}`,
        );
      }
      const roomId = roomIdOf(revealed.event)!;
      const tree = roomTrees.get(roomId)!;
      if (stored.roomIndex !== tree.size) {
        throw new ExportSourceMismatch(
          `event ${audited.id} is event ${stored.roomIndex} of room ${roomId}, expected ${tree.size}`,
        );
      }
      tree.append(revealed.leafHash);
      yield formatLine({
        t: 'event',
        i: stored.leafIndex,
        ri: stored.roomIndex,
        event: revealed.event,
        salts: revealed.salts,
        erased: revealed.erased,
        proof: proof.proof.map(encodeBase64),
      });
    }
    batch = [];
  };

  for await (const source of options.events) {
    const { stored } = source;
    const roomId = source.event.metadata.roomId ?? null;
    if (roomId === null || !roomTrees.has(roomId)) {
      throw new ExportSourceMismatch(`event ${source.event.id} is not an event of the exported rooms`);
    }
    if (stored.leafIndex <= lastIndex || stored.leafIndex >= size - 1) {
      throw new ExportSourceMismatch(
        `event ${source.event.id} at leaf ${stored.leafIndex} is out of order or after the checkpoint`,
      );
    }
    lastIndex = stored.leafIndex;
    events += 1;
    batch.push(source);
    if (batch.length >= batchSize) yield* flush();
  }
  if (batch.length > 0) yield* flush();

  const headsLeaf = { treeSize: size - 1, rooms: options.roomHeads.length, root: headsTree.root };
  const [headsProof] = await generator.inclusionProofs([size - 1]);
  if (!hashLeaf(roomHeadsLeafBytes(headsLeaf)).equals(headsProof!.leafHash)) {
    throw new ExportSourceMismatch(
      `the room heads given are not the ones the checkpoint's last leaf commits to`,
    );
  }
  yield formatLine({
    t: 'roomHeads',
    i: size - 1,
    treeSize: headsLeaf.treeSize,
    rooms: headsLeaf.rooms,
    root: encodeBase64(headsLeaf.root),
    proof: headsProof!.proof.map(encodeBase64),
  });

  for (const roomId of rooms) {
    const index = headsTree.indexOf(roomId);
    const built = roomTrees.get(roomId)!;
    const head = options.roomHeads[index];
    if (head === undefined || head.size !== built.size || !head.root.equals(built.root())) {
      throw new ExportSourceMismatch(
        `room ${roomId}: the log's head has ${head?.size ?? 0} events, the export source gave ${built.size}`,
      );
    }
    const entry = async (i: number): Promise<RoomHeadEntry | null> => {
      const neighbour = options.roomHeads[i];
      if (i < 0 || neighbour === undefined) return null;
      const proof = await headsTree.proof(i);
      return {
        roomId: neighbour.roomId,
        size: neighbour.size,
        root: encodeBase64(neighbour.root),
        proof: proof.map(encodeBase64),
      };
    };
    const self = (await entry(index))!;
    yield formatLine({
      t: 'roomHead',
      ...self,
      index,
      left: await entry(index - 1),
      right: await entry(index + 1),
    });
  }

  for (const oldSize of [...new Set(options.consistencyFrom ?? [])].sort((a, b) => a - b)) {
    if (oldSize < 1 || oldSize > size)
      throw new RangeError(`no consistency proof from size ${oldSize} to ${size}`);
    const line: ExportLine = {
      t: 'consistency',
      size: oldSize,
      root: encodeBase64(await new ProofGenerator(options.store, oldSize).root()),
      proof: (await generator.consistencyProof(oldSize)).map(encodeBase64),
    };
    yield formatLine(line);
  }

  yield formatLine({ t: 'end', events });
}
