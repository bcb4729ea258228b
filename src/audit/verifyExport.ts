// Verifies an export with nothing but the file and the log's public key: the checkpoint's signature, the
// room heads it committed to, each exported room's head among them, then every event against its room's
// signed head as it streams (roomTreeProof.ts: a changed, dropped, moved or added event fails on its own
// line), global order, each room's completeness, and the file's end. Memory holds one chunk of lines and
// O(log n) hashes per exported room. Stops at the first failure and names it.
import { decodeHashStrict } from './base64.ts';
import { type Checkpoint, openCheckpoint } from './checkpoint.ts';
import { verifyConsistency } from './consistencyProof.ts';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type RoomHeadEntry } from './exportFormat.ts';
import { verifyInclusion } from './inclusionProof.ts';
import { checkRevealedTexts, positionOfLeaf } from './leaf.ts';
import { readLines } from './lineReader.ts';
import { hashLeaf, hashLeafText } from './merkleTree.ts';
import { roomHeadEntryBytes, roomHeadsLeafBytes } from './roomHeads.ts';
import { RoomTreeChecker } from './roomTreeProof.ts';
import { NoteError, parseVerifierKey } from './signedNote.ts';

export type VerificationFailure = {
  /** 1-based line of the file */
  readonly line: number;
  readonly eventId?: string;
  readonly roomId?: string;
  /** the event's place in its room (0, 1, ...) */
  readonly roomIndex?: number;
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

/** an event line's members before its leaf, in the order exportWriter.ts writes them */
const EVENT_LINE_MEMBERS = 't,room,ri,proof,salts,texts';

/** the revealed fields in sorted path order, as revealEvent lists them (checkRevealedTexts checks that
 * the salts and the texts name the same ones) */
function inPathOrder(fields: Json): boolean {
  const paths = Object.keys(fields);
  return paths.every((path, i) => i === 0 || paths[i - 1]! < path);
}

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
  let phase: 'header' | 'roomHeads' | 'roomHead' | 'events' | 'consistency' | 'end' = 'header';
  let checkpoint: Checkpoint | null = null;
  let roomIds: string[] = [];
  const rooms = new Map<string, RoomTreeChecker>();
  let headsRoot: Buffer | null = null;
  let headsCount = 0;
  let lastPosition = '';
  let events = 0;
  const extendsHeads: { size: number; root: Buffer }[] = [];

  for await (const lines of readLines(source)) {
    for (const line of lines) {
      const at = line.number;
      const fail = (reason: string, more: Omit<VerificationFailure, 'line' | 'reason'> = {}): never => {
        throw new Failed({ line: at, ...more, reason });
      };
      if (!line.complete) fail('the file ends in the middle of a line: it is truncated');
      if (phase === 'end') fail('there is more after the end line');
      // an event line ends with its leaf, verbatim: the leaf is hashed as written, the rest parsed
      const text = line.text;
      const split = phase === 'events' ? text.indexOf(',"leaf":{') : -1;
      const leafBytes = split < 0 ? '' : text.slice(split + 8, -1);
      const head = split < 0 ? text : `${text.slice(0, split)}}`;
      let value: unknown;
      try {
        value = JSON.parse(head);
      } catch {
        fail('not a JSON line');
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('not a JSON object');
      const record = value as Json;

      if (phase === 'events' && record.t === 'event') {
        // the event's id is read from its leaf only to name it in a failure
        const named = () => ({ eventId: eventIdOf(leafBytes) });
        if (split < 0 || !text.endsWith('}') || Object.hasOwn(record, 'leaf'))
          fail('not an event line: its leaf is not its last member', named());
        if (!isObject(record.salts) || !isObject(record.texts)) fail('not an event line', named());
        // byte for byte as the writer writes it: its members in the writer's order, the revealed fields
        // in path order, nothing added, no member twice (which readers may take either of), and no other
        // spelling of the same values (JSON.stringify keeps the order the line has, so the order is
        // checked on its own)
        if (
          Object.keys(record).join() !== EVENT_LINE_MEMBERS ||
          !inPathOrder(record.salts as Json) ||
          !inPathOrder(record.texts as Json) ||
          JSON.stringify(record) !== head
        )
          fail('the event line is not written as an export writes it', named());
        const roomId = record.room;
        const room = typeof roomId === 'string' ? rooms.get(roomId) : undefined;
        if (room === undefined) fail(`the event is not of an exported room (${String(roomId)})`, named());
        const expected = room!.next;
        const inRoom = () => ({ ...named(), roomId: roomId as string, roomIndex: expected });
        if (record.ri !== expected) {
          const reason =
            typeof record.ri === 'number' && record.ri > expected
              ? `room ${roomId}'s events ${expected} to ${record.ri - 1} are missing before this one (dropped, or out of order)`
              : `room index ${String(record.ri)} where room ${roomId}'s event ${expected} belongs`;
          fail(reason, inRoom());
        }
        const problem = room!.check(hashLeafText(leafBytes), record.proof);
        if (problem !== null)
          fail(`the event is not the log's event ${expected} of room ${roomId}: ${problem}`, inRoom());
        // the leaf is the log's from here on
        const revealed = checkRevealedTexts(leafBytes, record.salts as Json, record.texts as Json);
        if (revealed !== null) fail(revealed, inRoom());
        const position = positionOfLeaf(leafBytes);
        if (position === null || !(position > lastPosition))
          fail(`out of order: position ${String(position)} comes after ${lastPosition}`, inRoom());
        lastPosition = position!;
        events += 1;
        continue;
      }

      if (phase === 'events') {
        // every room's events are in, all of them
        for (const [roomId, room] of rooms) {
          if (room.next !== room.size) {
            fail(
              `the checkpoint says room ${roomId} has ${room.size} events, the file has ${room.next}: events are missing`,
              { roomId },
            );
          }
        }
        phase = 'consistency';
      }
      const cp = checkpoint!;

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
        roomIds = record.rooms as string[];
        if (new Set(roomIds).size !== roomIds.length) fail('the header lists a room twice');
        phase = 'roomHeads';
        continue;
      }

      if (phase === 'roomHeads' && record.t === 'roomHeads') {
        if (record.i !== cp.size - 1 || record.treeSize !== cp.size - 1) {
          fail("the room heads are not the checkpoint's last leaf");
        }
        const root = typeof record.root === 'string' ? decodeHashStrict(record.root) : null;
        const proof = hashList(record.proof);
        if (
          root === null ||
          proof === null ||
          !Number.isSafeInteger(record.rooms) ||
          (record.rooms as number) < 1
        ) {
          fail('not a room heads line');
        }
        const bytes = roomHeadsLeafBytes({
          treeSize: cp.size - 1,
          rooms: record.rooms as number,
          root: root!,
        });
        if (!verifyInclusion(cp.size - 1, cp.size, hashLeaf(bytes), proof!, cp.rootHash)) {
          fail("the room heads are not the checkpoint's: their inclusion proof does not lead to its root");
        }
        headsRoot = root;
        headsCount = record.rooms as number;
        phase = 'roomHead';
        continue;
      }

      if (phase === 'roomHead' && record.t === 'roomHead') {
        const roomId = record.roomId;
        if (typeof roomId !== 'string' || !roomIds.includes(roomId) || rooms.has(roomId))
          fail(`a room head for ${String(roomId)}, not an exported room`);
        const named = { roomId: roomId as string };
        const index = record.index as number;
        const entry = checkEntry(record, index, headsCount, headsRoot!);
        if (entry !== null)
          fail(`room ${roomId}: its head is not in the checkpoint's room heads (${entry})`, named);
        const left = record.left as RoomHeadEntry | null;
        const right = record.right as RoomHeadEntry | null;
        if (
          index > 0
            ? left === null ||
              checkEntry(left, index - 1, headsCount, headsRoot!) !== null ||
              !(left.roomId < (roomId as string))
            : left !== null
        ) {
          fail(`room ${roomId}: the room heads entry before it does not show it is there once`, named);
        }
        if (
          index < headsCount - 1
            ? right === null ||
              checkEntry(right, index + 1, headsCount, headsRoot!) !== null ||
              !(right.roomId > (roomId as string))
            : right !== null
        ) {
          fail(`room ${roomId}: the room heads entry after it does not show it is there once`, named);
        }
        if ((record.size as number) < 1) fail(`room ${roomId}: its head is of an empty room`, named);
        rooms.set(roomId as string, new RoomTreeChecker(record.size as number, record.root as string));
        if (rooms.size === roomIds.length) phase = 'events';
        continue;
      }

      if (phase === 'consistency' && record.t === 'consistency') {
        const size = record.size;
        const root = typeof record.root === 'string' ? decodeHashStrict(record.root) : null;
        const proof = hashList(record.proof);
        if (!Number.isSafeInteger(size) || root === null || proof === null) fail('not a consistency line');
        if (!verifyConsistency(size as number, cp.size, root!, cp.rootHash, proof!)) {
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
        roomHeads: 'the room heads',
        roomHead: 'a room head',
        consistency: 'an event, a consistency proof or the end',
        end: 'nothing',
      }[phase];
      fail(`a ${String(record.t)} line where ${expected} belongs`);
    }
  }

  if (phase !== 'end') {
    throw new Failed({
      line: 0,
      reason: `the file ends before its end line (${events} events read): it is truncated`,
    });
  }
  return {
    checkpoint: checkpoint!,
    rooms: [...rooms]
      .map(([roomId, room]) => ({ roomId, events: room.size }))
      .sort((a, b) => (a.roomId < b.roomId ? -1 : 1)),
    events,
    extends: extendsHeads,
  };
}

/** the id of the event a line's leaf holds, to name it, when the leaf is at least JSON */
function eventIdOf(leafBytes: string): string | undefined {
  try {
    const id = (JSON.parse(leafBytes) as { event?: { id?: unknown } }).event?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** a list of canonical base64 hashes, decoded, or null */
function hashList(value: unknown): Buffer[] | null {
  if (!Array.isArray(value)) return null;
  const hashes = value.map((p) => (typeof p === 'string' ? decodeHashStrict(p) : null));
  return hashes.some((h) => h === null) ? null : (hashes as Buffer[]);
}

/** null when the entry is the room heads tree's leaf `index`, otherwise why not */
function checkEntry(entry: Json | RoomHeadEntry, index: number, count: number, root: Buffer): string | null {
  if (!isObject(entry)) return 'no entry';
  const head = entry as Json;
  const headRoot = typeof head.root === 'string' ? decodeHashStrict(head.root) : null;
  const proof = hashList(head.proof);
  if (
    typeof head.roomId !== 'string' ||
    !Number.isSafeInteger(head.size) ||
    headRoot === null ||
    proof === null
  ) {
    return 'a malformed entry';
  }
  if (!Number.isSafeInteger(index)) return 'no index';
  const bytes = roomHeadEntryBytes({ roomId: head.roomId, size: head.size as number, root: headRoot });
  return verifyInclusion(index, count, hashLeaf(bytes), proof, root) ? null : 'its proof fails';
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
