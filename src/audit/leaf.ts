// What the audit tree commits to. An event leaf is the event as JSON with its personal text fields
// removed and, in their place, one salted commitment per field: SHA-256(salt || UTF-8 text), with
// salt = HMAC-SHA256(event secret, "chat-audit/salt/v1\n" + path). An export reveals salt and text of a
// field whose text still exists (the verifier recomputes the commitment) and only the commitment of one
// erased since; either way the leaf, and every proof over it, is the same. Why: docs/audit.md.
import { hash } from 'node:crypto';
import { encodePosition, type RecordedEvent } from '../eventstore/eventStore.ts';
import { encodeBase64, isHashText } from './base64.ts';
import { canonicalJson, type JsonValue, toJsonValue } from './canonicalJson.ts';
import { hashLeaf, sha256 } from './merkleTree.ts';
import { personalTextPaths, removeAtPath, valueAtPath } from './personalFields.ts';

export const LEAF_FORMAT_VERSION = 1;
export const EVENT_SECRET_BYTES = 32;

/** An event as the audit log writes it: plain JSON, bigints and positions as strings. */
export type AuditEvent = {
  id: string;
  stream: string;
  revision: string;
  type: string;
  position: string;
  recordedAt: string;
  data: JsonValue;
  metadata: JsonValue;
};

export type EventLeaf = {
  v: typeof LEAF_FORMAT_VERSION;
  kind: 'event';
  /** metadata.roomId, or null for an event of no room */
  roomId: string | null;
  /** 0-based place of the event among its room's events, null when roomId is */
  roomIndex: number | null;
  /** the event without its committed fields */
  event: AuditEvent;
  /** concrete path → base64 commitment */
  commitments: { [path: string]: string };
};

/** the event as plain JSON, every object's keys in canonical order */
export function auditEventOf(event: RecordedEvent): AuditEvent {
  return {
    data: toJsonValue(event.data, 'data'),
    id: event.id,
    metadata: toJsonValue(event.metadata, 'metadata'),
    position: encodePosition(event.position),
    recordedAt: event.recordedAt.toISOString(),
    revision: event.revision.toString(),
    stream: event.stream,
    type: event.type,
  };
}

export function roomIdOf(event: AuditEvent): string | null {
  const metadata = event.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return null;
  return typeof metadata.roomId === 'string' ? metadata.roomId : null;
}

const HMAC_BLOCK = 64;

// scratch inputs of deriveSalt's two hashes: every use is synchronous
let innerInput = Buffer.alloc(HMAC_BLOCK + 256);
const outerInput = Buffer.alloc(HMAC_BLOCK + 32);

/** HMAC-SHA256(secret, "chat-audit/salt/v1\n" + path), by RFC 2104 over one-shot hashes: node's createHmac
 * builds a key object per call, which cost more than all the hashing of a leaf */
export function deriveSalt(secret: Uint8Array, path: string): Buffer {
  if (secret.length > HMAC_BLOCK) throw new RangeError('an event secret fits one HMAC block');
  const message = `chat-audit/salt/v1\n${path}`;
  const room = HMAC_BLOCK + 3 * message.length;
  if (innerInput.length < room) innerInput = Buffer.alloc(room);
  innerInput.fill(0x36, 0, HMAC_BLOCK);
  outerInput.fill(0x5c, 0, HMAC_BLOCK);
  for (let i = 0; i < secret.length; i++) {
    innerInput[i] = secret[i]! ^ 0x36;
    outerInput[i] = secret[i]! ^ 0x5c;
  }
  const length = HMAC_BLOCK + innerInput.write(message, HMAC_BLOCK, 'utf8');
  outerInput.write(hash('sha256', innerInput.subarray(0, length), 'binary'), HMAC_BLOCK, 'latin1');
  return sha256(outerInput);
}

// scratch input for commitments: every use is synchronous
let commitInput = Buffer.alloc(4096);

/** base64 of SHA-256(salt || UTF-8 text); salt as bytes, or as the base64 an export carries (checked by
 * the caller) */
export function commitText(salt: Uint8Array | string, text: string): string {
  const room = 32 + 3 * text.length;
  if (commitInput.length < room) commitInput = Buffer.alloc(Math.max(room, 2 * commitInput.length));
  if (typeof salt === 'string') commitInput.write(salt, 0, 'base64');
  else commitInput.set(salt, 0);
  const length = 32 + commitInput.write(text, 32, 'utf8');
  return hash('sha256', commitInput.subarray(0, length), 'base64');
}

export function leafBytes(leaf: EventLeaf): string {
  return hasIndexKey(leaf.event) ? canonicalJson(leaf as unknown as JsonValue) : JSON.stringify(leaf);
}

/**
 * Whether some object in the value has a key that is an array index ("7"): JavaScript puts those first
 * whatever the insertion order, so only then does JSON.stringify of an object with its keys in canonical
 * order (as auditEventOf makes them) differ from the canonical form, which is several times slower.
 */
function hasIndexKey(value: JsonValue): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasIndexKey);
  for (const key in value) {
    const first = key.charCodeAt(0);
    if (first >= 48 && first <= 57 && /^(0|[1-9][0-9]*)$/.test(key)) return true;
    if (hasIndexKey(value[key]!)) return true;
  }
  return false;
}

export type SequencedLeaf = {
  readonly leaf: EventLeaf;
  readonly leafHash: Buffer;
  /** what the database keeps beside the leaf, so the leaf can be rebuilt once the text is gone */
  readonly commitments: { readonly [path: string]: string };
};

/**
 * The leaf of an event being appended to the log (the event's text is all there). Takes ownership of
 * `event` (its personal fields are removed in place: the leaf holds it).
 */
export function sequenceEvent(
  event: AuditEvent,
  roomIndex: number | null,
  secret: Uint8Array,
): SequencedLeaf {
  if (secret.length !== EVENT_SECRET_BYTES)
    throw new RangeError(`an event secret is ${EVENT_SECRET_BYTES} bytes`);
  const roomId = roomIdOf(event);
  if ((roomId === null) !== (roomIndex === null))
    throw new RangeError('roomIndex is given exactly for room events');
  const commitments: { [path: string]: string } = {};
  for (const path of personalTextPaths(event.type, event as unknown as { [key: string]: JsonValue })) {
    const text = valueAtPath(event as unknown as JsonValue, path) as string;
    commitments[path] = commitText(deriveSalt(secret, path), text);
    removeAtPath(event as unknown as JsonValue, path);
  }
  const leaf: EventLeaf = {
    commitments,
    event,
    kind: 'event',
    roomId,
    roomIndex,
    v: LEAF_FORMAT_VERSION,
  };
  return { leaf, leafHash: hashLeaf(leafBytes(leaf)), commitments };
}

/** What the log stored for one event leaf when it was appended. */
export type StoredLeaf = {
  readonly leafIndex: number;
  readonly roomIndex: number | null;
  /** null once the event's secret is destroyed (erasure): then no text of it is revealed */
  readonly secret: Uint8Array | null;
  readonly commitments: { readonly [path: string]: string };
};

/** An event as an export shows it: its leaf's bytes (no personal text), and the text that still exists
 * with its salts, by path. */
export type RevealedEvent = {
  /** the leaf as the log hashed it */
  readonly leafBytes: string;
  readonly leafHash: Buffer;
  readonly salts: { [path: string]: string };
  readonly texts: { [path: string]: string };
};

export class LeafMismatch extends Error {
  constructor(eventId: string, detail: string) {
    super(`event ${eventId}: ${detail}`);
    this.name = 'LeafMismatch';
  }
}

/**
 * Rebuilds an event's leaf from the event as the store has it now and what was stored at append time.
 * A committed field whose text is gone (absent or null: erased) or whose secret is gone is not revealed.
 * Takes ownership of `current` (its committed fields are removed in place).
 */
export function revealEvent(current: AuditEvent, stored: StoredLeaf): RevealedEvent {
  const salts: { [path: string]: string } = {};
  const texts: { [path: string]: string } = {};
  const commitments: { [path: string]: string } = {};
  for (const path of Object.keys(stored.commitments).sort()) {
    const commitment = stored.commitments[path]!;
    commitments[path] = commitment;
    const text = valueAtPath(current as unknown as JsonValue, path);
    removeAtPath(current as unknown as JsonValue, path);
    if (typeof text === 'string' && stored.secret !== null) {
      const salt = deriveSalt(stored.secret, path);
      if (commitText(salt, text) !== commitment) {
        throw new LeafMismatch(
          current.id,
          `the text at ${path} is not the text committed when it was appended`,
        );
      }
      salts[path] = encodeBase64(salt);
      texts[path] = text;
    } else if (text !== undefined && text !== null && typeof text !== 'string') {
      throw new LeafMismatch(current.id, `${path} holds no text`);
    }
  }
  const leaf: EventLeaf = {
    commitments,
    event: current,
    kind: 'event',
    roomId: roomIdOf(current),
    roomIndex: stored.roomIndex,
    v: LEAF_FORMAT_VERSION,
  };
  const bytes = leafBytes(leaf);
  return { leafBytes: bytes, leafHash: hashLeaf(bytes), salts, texts };
}

const COMMITMENTS_START = '{"commitments":{';

/**
 * The verifier's side of revealEvent, for leaf bytes already proven to be the log's: null when every
 * revealed text is the one its leaf committed to, otherwise why not. A committed field with no text
 * revealed is erased.
 */
export function checkRevealedTexts(
  leafBytes: string,
  salts: { readonly [path: string]: unknown },
  texts: { readonly [path: string]: unknown },
): string | null {
  // a proven leaf is canonical JSON whose first member is the commitments, and a path holds no "}"
  const end = leafBytes.indexOf('}');
  if (!leafBytes.startsWith(COMMITMENTS_START) || end < 0) return 'the leaf is not an event leaf';
  const commitments = JSON.parse(leafBytes.slice(COMMITMENTS_START.length - 1, end + 1)) as {
    [path: string]: string;
  };
  const paths = Object.keys(salts);
  if (Object.keys(texts).length !== paths.length) return 'the texts and the salts name different fields';
  for (const path of paths) {
    const salt = salts[path];
    const text = texts[path];
    if (!Object.hasOwn(commitments, path)) return `${path} is not a field the leaf committed to`;
    if (typeof text !== 'string' || !Object.hasOwn(texts, path) || !text.isWellFormed())
      return `${path} has a salt but no text`;
    // a salt is 32 bytes, spelt as a hash is
    if (!isHashText(salt)) return `the salt of ${path} is not 32 bytes of base64`;
    if (commitText(salt, text) !== commitments[path])
      return `the text of ${path} is not the text the log committed to`;
  }
  return null;
}

/** the committed fields of a proven leaf that carry no text in the export (erased, or out of range) */
export function erasedPaths(leafBytes: string, texts: { readonly [path: string]: unknown }): string[] {
  const end = leafBytes.indexOf('}');
  const commitments = JSON.parse(leafBytes.slice(COMMITMENTS_START.length - 1, end + 1)) as object;
  return Object.keys(commitments).filter((path) => !Object.hasOwn(texts, path));
}

/**
 * The store position of a proven event leaf, read off its end: canonical JSON puts the event's position,
 * recordedAt, revision, stream and type last, and none of their values holds an unescaped quote, so the
 * last `,"position":"` is the event's.
 */
export function positionOfLeaf(leafBytes: string): string | null {
  const key = ',"position":"';
  const start = leafBytes.lastIndexOf(key);
  if (start < 0) return null;
  const end = leafBytes.indexOf('"', start + key.length);
  return end < 0 ? null : leafBytes.slice(start + key.length, end);
}
