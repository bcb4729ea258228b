// Verifies an export with nothing but the file and the log's public key: the checkpoint's signature, every
// event's inclusion proof, global order, each room's completeness (its events rebuild the room head the
// checkpoint committed to), and the file's end. Streams: memory holds one line, one proof path and one
// O(log n) tree state per exported room. Stops at the first failure and names it.
import { decodeHashStrict } from './base64.ts';
import { type Checkpoint, openCheckpoint } from './checkpoint.ts';
import { verifyConsistency } from './consistencyProof.ts';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type RoomHeadEntry } from './exportFormat.ts';
import { InclusionChecker } from './inclusionChecker.ts';
import { verifyInclusion } from './inclusionProof.ts';
import { type AuditEvent, leafBytes, leafBytesFast, leafOfExportedEvent, roomIdOf } from './leaf.ts';
import { readLines } from './lineReader.ts';
import { hashLeaf, TreeBuilder } from './merkleTree.ts';
import { roomHeadEntryBytes, roomHeadsLeafBytes } from './roomHeads.ts';
import { NoteError, parseVerifierKey } from './signedNote.ts';

export type VerificationFailure = {
  /** 1-based line of the file */
  readonly line: number;
  readonly leafIndex?: number;
  readonly eventId?: string;
  readonly roomId?: string;
  readonly reason: string;
};

export type VerifiedExport = {
  readonly checkpoint: Checkpoint;
  readonly rooms: readonly { readonly roomId: string; readonly events: number }[];
  readonly events: number;
  /** earlier tree heads this export proves its log extends */
  readonly extends: readonly { readonly size: number; readonly root: Buffer }[];
};

export type VerificationResult =
  | { ok: true; export: VerifiedExport }
  | { ok: false; failure: VerificationFailure };

class Failed extends Error {
  readonly failure: VerificationFailure;
  constructor(failure: VerificationFailure) {
    super(failure.reason);
    this.failure = failure;
  }
}

type Json = { [key: string]: unknown };

export async function verifyExport(
  source: AsyncIterable<string | Uint8Array>,
  verifierKey: string,
): Promise<VerificationResult> {
  try {
    return { ok: true, export: await verifyLines(source, verifierKey) };
  } catch (error) {
    if (error instanceof Failed) return { ok: false, failure: error.failure };
    throw error;
  }
}

async function verifyLines(
  source: AsyncIterable<string | Uint8Array>,
  verifierKey: string,
): Promise<VerifiedExport> {
  let verifier: ReturnType<typeof parseVerifierKey>;
  try {
    verifier = parseVerifierKey(verifierKey.trim());
  } catch (error) {
    throw new Failed({
      line: 0,
      reason: `the public key is not a verifier key: ${(error as Error).message}`,
    });
  }
  let phase: 'header' | 'events' | 'roomHead' | 'consistency' | 'end' = 'header';
  let checkpoint: Checkpoint | null = null;
  let checker: InclusionChecker | null = null;
  const rooms = new Map<string, TreeBuilder>();
  const roomsDone: string[] = [];
  let headsRoot: Buffer | null = null;
  let headsCount = 0;
  let lastIndex = -1;
  let events = 0;
  const extendsHeads: { size: number; root: Buffer }[] = [];

  for await (const line of readLines(source)) {
    const at = line.number;
    const fail = (reason: string, more: Omit<VerificationFailure, 'line' | 'reason'> = {}): never => {
      throw new Failed({ line: at, ...more, reason });
    };
    if (!line.complete) fail('the file ends in the middle of a line: it is truncated');
    if (phase === 'end') fail('there is more after the end line');
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      fail('not a JSON line');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('not a JSON object');
    const record = value as Json;

    if (phase === 'header') {
      if (record.t !== 'header' || record.format !== EXPORT_FORMAT) fail(`not a ${EXPORT_FORMAT} file`);
      if (record.version !== EXPORT_FORMAT_VERSION)
        fail(`format version ${String(record.version)} is not known`);
      if (!isStringList(record.rooms) || record.rooms.length === 0) fail('the header lists no rooms');
      if (typeof record.checkpoint !== 'string') fail('the header has no checkpoint');
      try {
        checkpoint = openCheckpoint(record.checkpoint as string, verifier);
      } catch (error) {
        if (error instanceof NoteError) fail(`the checkpoint is not signed by this key: ${error.message}`);
        throw error;
      }
      if (checkpoint.size < 1) fail('the checkpoint is of an empty log');
      const roomIds = record.rooms as string[];
      for (const roomId of roomIds) rooms.set(roomId, new TreeBuilder());
      if (rooms.size !== roomIds.length) fail('the header lists a room twice');
      checker = new InclusionChecker(checkpoint.size, checkpoint.rootHash);
      phase = 'events';
      continue;
    }
    const cp = checkpoint!;

    if (phase === 'events' && record.t === 'event') {
      const i = record.i;
      const event = record.event as AuditEvent;
      const eventId = isObject(event) && typeof event.id === 'string' ? event.id : undefined;
      const named = { leafIndex: typeof i === 'number' ? i : undefined, eventId };
      if (
        !Number.isSafeInteger(i) ||
        !isObject(event) ||
        !isObject(record.salts) ||
        !isObject(record.erased)
      ) {
        fail('not an event line', named);
      }
      const leafIndex = i as number;
      if (leafIndex <= lastIndex)
        fail(`out of order: leaf ${leafIndex} comes after leaf ${lastIndex}`, named);
      if (leafIndex >= cp.size - 1) fail(`leaf ${leafIndex} is not an event before the checkpoint`, named);
      const roomId = roomIdOf(event);
      const room = roomId === null ? undefined : rooms.get(roomId);
      if (room === undefined) fail(`the event is not of an exported room (${String(roomId)})`, named);
      const expected = room!.size;
      if (record.ri !== expected) {
        const reason =
          typeof record.ri === 'number' && record.ri > expected
            ? `room ${roomId}'s events ${expected} to ${record.ri - 1} are missing before this one (dropped, or out of order)`
            : `room index ${String(record.ri)} where room ${roomId}'s event ${expected} belongs`;
        fail(reason, { ...named, roomId: roomId! });
      }
      const leaf = leafOfExportedEvent(
        event,
        expected,
        record.salts as Json as never,
        record.erased as Json as never,
      );
      if (typeof leaf === 'string') fail(leaf, named);
      const built = leaf as Exclude<typeof leaf, string>;
      const fast = leafBytesFast(built);
      let leafHash = hashLeaf(fast);
      let problem = checker!.check(leafIndex, leafHash, record.proof as unknown[]);
      if (problem !== null) {
        const canonical = leafBytes(built);
        if (canonical !== fast) {
          leafHash = hashLeaf(canonical);
          problem = checker!.check(leafIndex, leafHash, record.proof as unknown[]);
        }
      }
      if (problem !== null) fail(`the event is not the log's leaf ${leafIndex}: ${problem}`, named);
      room!.append(leafHash);
      lastIndex = leafIndex;
      events += 1;
      continue;
    }

    if (phase === 'events' && record.t === 'roomHeads') {
      if (record.i !== cp.size - 1 || record.treeSize !== cp.size - 1) {
        fail("the room heads are not the checkpoint's last leaf");
      }
      const root = typeof record.root === 'string' ? decodeHashStrict(record.root) : null;
      if (root === null || !Number.isSafeInteger(record.rooms) || (record.rooms as number) < 1) {
        fail('not a room heads line');
      }
      const bytes = roomHeadsLeafBytes({ treeSize: cp.size - 1, rooms: record.rooms as number, root: root! });
      const problem = checker!.check(cp.size - 1, hashLeaf(bytes), record.proof as unknown[]);
      if (problem !== null) fail(`the room heads are not the checkpoint's: ${problem}`);
      headsRoot = root;
      headsCount = record.rooms as number;
      phase = 'roomHead';
      continue;
    }

    if (phase === 'roomHead' && record.t === 'roomHead') {
      const roomId = record.roomId;
      const room = typeof roomId === 'string' ? rooms.get(roomId) : undefined;
      if (room === undefined || roomsDone.includes(roomId as string))
        fail(`a room head for ${String(roomId)}, not an exported room`);
      const index = record.index as number;
      const entry = checkEntry(record, index, headsCount, headsRoot!);
      if (entry !== null)
        fail(`room ${roomId}: its head is not in the checkpoint's room heads (${entry})`, {
          roomId: roomId as string,
        });
      const left = record.left as RoomHeadEntry | null;
      const right = record.right as RoomHeadEntry | null;
      if (
        index > 0
          ? left === null ||
            checkEntry(left, index - 1, headsCount, headsRoot!) !== null ||
            !(left.roomId < (roomId as string))
          : left !== null
      ) {
        fail(`room ${roomId}: the room heads entry before it does not show it is there once`, {
          roomId: roomId as string,
        });
      }
      if (
        index < headsCount - 1
          ? right === null ||
            checkEntry(right, index + 1, headsCount, headsRoot!) !== null ||
            !(right.roomId > (roomId as string))
          : right !== null
      ) {
        fail(`room ${roomId}: the room heads entry after it does not show it is there once`, {
          roomId: roomId as string,
        });
      }
      const root = room!.root();
      if (record.size !== room!.size || !root.equals(decodeHashStrict(record.root as string)!)) {
        const reason =
          (record.size as number) > room!.size
            ? `the checkpoint says room ${roomId} has ${record.size} events, the file has ${room!.size}: events are missing`
            : `room ${roomId}'s events in the file do not rebuild the room head the checkpoint committed to`;
        fail(reason, { roomId: roomId as string });
      }
      roomsDone.push(roomId as string);
      if (roomsDone.length === rooms.size) phase = 'consistency';
      continue;
    }

    if (phase === 'consistency' && record.t === 'consistency') {
      const size = record.size;
      const root = typeof record.root === 'string' ? decodeHashStrict(record.root) : null;
      const proof = Array.isArray(record.proof)
        ? record.proof.map((p) => (typeof p === 'string' ? decodeHashStrict(p) : null))
        : [null];
      if (!Number.isSafeInteger(size) || root === null || proof.some((p) => p === null))
        fail('not a consistency line');
      if (!verifyConsistency(size as number, cp.size, root!, cp.rootHash, proof as Buffer[])) {
        fail(
          `the consistency proof from size ${size} does not verify: the log at ${size} is not a prefix of this one`,
        );
      }
      extendsHeads.push({ size: size as number, root: root! });
      continue;
    }

    if (phase === 'consistency' && record.t === 'end') {
      if (record.events !== events)
        fail(`the end line counts ${String(record.events)} events, the file has ${events}`);
      phase = 'end';
      continue;
    }

    const expected = {
      events: 'an event or the room heads',
      roomHead: 'a room head',
      consistency: 'a consistency proof or the end',
      end: 'nothing',
    }[phase];
    fail(`a ${String(record.t)} line where ${expected} belongs`);
  }

  if (phase !== 'end') {
    throw new Failed({
      line: 0,
      reason: `the file ends before its end line (${events} events read): it is truncated`,
    });
  }
  return {
    checkpoint: checkpoint!,
    rooms: [...rooms].map(([roomId, tree]) => ({ roomId, events: tree.size })),
    events,
    extends: extendsHeads,
  };
}

/** null when the entry is the room heads tree's leaf `index`, otherwise why not */
function checkEntry(entry: Json | RoomHeadEntry, index: number, count: number, root: Buffer): string | null {
  if (!isObject(entry)) return 'no entry';
  const head = entry as Json;
  const headRoot = typeof head.root === 'string' ? decodeHashStrict(head.root) : null;
  const proof = Array.isArray(head.proof)
    ? head.proof.map((p) => (typeof p === 'string' ? decodeHashStrict(p) : null))
    : [null];
  if (
    typeof head.roomId !== 'string' ||
    !Number.isSafeInteger(head.size) ||
    headRoot === null ||
    proof.some((p) => p === null)
  ) {
    return 'a malformed entry';
  }
  if (!Number.isSafeInteger(index)) return 'no index';
  const bytes = roomHeadEntryBytes({ roomId: head.roomId, size: head.size as number, root: headRoot });
  return verifyInclusion(index, count, hashLeaf(bytes), proof as Buffer[], root) ? null : 'its proof fails';
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
