// Writes an export: given a signed checkpoint, the hash store, the room heads the checkpoint committed to,
// each exported room's leaf hashes, and the rooms' events in global order with what the log stored for
// each, a page at a time, it yields the JSONL text: the lines before and after the events one by one, the
// event lines a page at a time (an await per page, not per line). It holds the exported rooms' trees (64
// bytes an event) and a page of lines, never the file. It checks what it writes against the log: an event whose leaf is not the stored one,
// or a room whose leaves do not rebuild its signed head, stops the export with an error instead of
// producing a file that would not verify.
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
import { auditEventOf, revealEvent, type StoredLeaf } from './leaf.ts';
import { hashLeaf } from './merkleTree.ts';
import { ProofGenerator } from './proofGenerator.ts';
import { type RoomHead, RoomHeadsTree, roomHeadsLeafBytes } from './roomHeads.ts';
import { RoomTree } from './roomTreeProof.ts';

export type ExportSourceEvent = { readonly event: RecordedEvent; readonly stored: StoredLeaf };

export type ExportWriterOptions = {
  /** the signed checkpoint note the export is taken at */
  readonly checkpointNote: string;
  readonly store: HashStore;
  /** the rooms exported; their events, and only theirs, come in `events` */
  readonly rooms: readonly string[];
  /** every room's head at the checkpoint, sorted by room id (what its room heads leaf committed to) */
  readonly roomHeads: readonly RoomHead[];
  /** each exported room's leaf hashes at the checkpoint in room order, 32 bytes each */
  readonly roomLeafHashes: ReadonlyMap<string, Buffer>;
  /** the exported rooms' events up to the checkpoint, in global order, a page at a time */
  readonly events: AsyncIterable<readonly ExportSourceEvent[]>;
  /** earlier tree sizes (earlier exports' checkpoints) to prove this one extends */
  readonly consistencyFrom?: readonly number[];
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
  const roomTrees = new Map<string, { tree: RoomTree; written: number }>();
  for (const roomId of rooms) {
    const head = options.roomHeads[headsTree.indexOf(roomId)];
    const leaves = options.roomLeafHashes.get(roomId);
    const tree = leaves === undefined || leaves.length === 0 ? null : new RoomTree(leaves);
    if (head === undefined || tree === null || head.size !== tree.size || !head.root.equals(tree.root)) {
      throw new ExportSourceMismatch(
        `room ${roomId}: the log's head has ${head?.size ?? 0} events, its stored leaves ${tree?.size ?? 0} or another root`,
      );
    }
    roomTrees.set(roomId, { tree, written: 0 });
  }

  yield formatLine({
    t: 'header',
    format: EXPORT_FORMAT,
    version: EXPORT_FORMAT_VERSION,
    rooms,
    checkpoint: options.checkpointNote,
  });

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

  let events = 0;
  let lastIndex = -1;
  for await (const page of options.events) {
    const lines: string[] = [];
    for (const { event, stored } of page) {
      const roomId = event.metadata.roomId ?? null;
      const room = roomId === null ? undefined : roomTrees.get(roomId);
      if (room === undefined) {
        throw new ExportSourceMismatch(`event ${event.id} is not an event of the exported rooms`);
      }
      if (stored.leafIndex <= lastIndex || stored.leafIndex >= size - 1) {
        throw new ExportSourceMismatch(
          `event ${event.id} at leaf ${stored.leafIndex} is out of order or after the checkpoint`,
        );
      }
      if (stored.roomIndex !== room.written) {
        throw new ExportSourceMismatch(
          `event ${event.id} is event ${stored.roomIndex} of room ${roomId}, expected ${room.written}`,
        );
      }
      const revealed = revealEvent(auditEventOf(event), stored);
      if (!revealed.leafHash.equals(room.tree.leafHash(room.written))) {
        throw new ExportSourceMismatch(
          `event ${event.id} is not the event the log holds at leaf ${stored.leafIndex}`,
        );
      }
      lines.push(
        formatLine({
          t: 'event',
          room: roomId!,
          ri: room.written,
          proof: room.tree.lineProof(room.written),
          salts: revealed.salts,
          texts: revealed.texts,
          leaf: revealed.leafBytes,
        }),
      );
      room.written += 1;
      lastIndex = stored.leafIndex;
      events += 1;
    }
    if (lines.length > 0) yield lines.join('');
  }
  for (const [roomId, room] of roomTrees) {
    if (room.written !== room.tree.size) {
      throw new ExportSourceMismatch(
        `room ${roomId}: the log's head has ${room.tree.size} events, the export source gave ${room.written}`,
      );
    }
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
