// What the audit tree commits to. An event leaf is the event as JSON with its personal text fields
// removed and, in their place, one salted commitment per field: SHA-256(salt || UTF-8 text), with
// salt = HMAC-SHA256(event secret, "chat-audit/salt/v1\n" + path). An export reveals salt and text of a
// field whose text still exists (the verifier recomputes the commitment) and only the commitment of one
// erased since; either way the leaf, and every proof over it, is the same. Why: docs/audit.md.
import { hash } from 'node:crypto';
import { encodePosition, type RecordedEvent } from '../eventstore/eventStore.ts';
import { decodeBase64Strict, encodeBase64 } from './base64.ts';
import { canonicalJson, type JsonValue, toJsonValue } from './canonicalJson.ts';
import { hashLeaf } from './merkleTree.ts';
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

/** HMAC-SHA256(secret, "chat-audit/salt/v1\n" + path), by RFC 2104 over one-shot hashes: node's createHmac
 * builds a key object per call, which cost more than all the hashing of a leaf */
export function deriveSalt(secret: Uint8Array, path: string): Buffer {
  if (secret.length > HMAC_BLOCK) throw new RangeError('an event secret fits one HMAC block');
  const message = Buffer.from(`chat-audit/salt/v1\n${path}`, 'utf8');
  const inner = Buffer.alloc(HMAC_BLOCK + message.length, 0x36);
  const outer = Buffer.alloc(HMAC_BLOCK + 32, 0x5c);
  for (let i = 0; i < secret.length; i++) {
    inner[i] = secret[i]! ^ 0x36;
    outer[i] = secret[i]! ^ 0x5c;
  }
  message.copy(inner, HMAC_BLOCK);
  hash('sha256', inner, 'buffer').copy(outer, HMAC_BLOCK);
  return hash('sha256', outer, 'buffer');
}

export function commitText(salt: Uint8Array, text: string): Buffer {
  return hash('sha256', Buffer.concat([salt, Buffer.from(text, 'utf8')]), 'buffer');
}

/** a copy that keeps key order (structuredClone is several times slower for JSON) */
function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function leafBytes(leaf: EventLeaf): string {
  return canonicalJson(leaf as unknown as JsonValue);
}

/**
 * The leaf's bytes when its objects already have their keys in canonical order (as an export's lines
 * have them): JSON.stringify then writes the canonical form, several times faster. Only a key that is an
 * array index ("7") is put first by JavaScript whatever the order, so a caller whose proof fails with
 * these bytes tries leafBytes before it reports anything.
 */
export function leafBytesFast(leaf: EventLeaf): string {
  return JSON.stringify(leaf);
}

export type SequencedLeaf = {
  readonly leaf: EventLeaf;
  readonly leafHash: Buffer;
  /** what the database keeps beside the leaf, so the leaf can be rebuilt once the text is gone */
  readonly commitments: { readonly [path: string]: string };
};

/** The leaf of an event being appended to the log (the event's text is all there). */
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
  const redacted = cloneJson(event);
  const commitments: { [path: string]: string } = {};
  for (const path of personalTextPaths(event.type, event as unknown as { [key: string]: JsonValue })) {
    const text = valueAtPath(event as unknown as JsonValue, path) as string;
    commitments[path] = encodeBase64(commitText(deriveSalt(secret, path), text));
    removeAtPath(redacted as unknown as JsonValue, path);
  }
  const leaf: EventLeaf = {
    commitments,
    event: redacted,
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

/** An event as an export shows it: the text that still exists, its salts, and the commitments of the rest. */
export type RevealedEvent = {
  readonly event: AuditEvent;
  readonly salts: { [path: string]: string };
  readonly erased: { [path: string]: string };
  readonly leafHash: Buffer;
};

export class LeafMismatch extends Error {
  constructor(eventId: string, detail: string) {
    super(`event ${eventId}: ${detail}`);
    this.name = 'LeafMismatch';
  }
}

/**
 * Rebuilds an event's leaf from the event as the store has it now and what was stored at append time.
 * A committed field whose text is gone (absent or null: erased) or whose secret is gone is shown erased.
 */
export function revealEvent(current: AuditEvent, stored: StoredLeaf): RevealedEvent {
  const event = cloneJson(current);
  const redacted = cloneJson(current);
  const salts: { [path: string]: string } = {};
  const erased: { [path: string]: string } = {};
  const paths = Object.keys(stored.commitments).sort();
  const commitments: { [path: string]: string } = {};
  for (const path of paths) {
    const commitment = stored.commitments[path]!;
    commitments[path] = commitment;
    const text = valueAtPath(event as unknown as JsonValue, path);
    removeAtPath(redacted as unknown as JsonValue, path);
    if (typeof text === 'string' && stored.secret !== null) {
      const salt = deriveSalt(stored.secret, path);
      if (encodeBase64(commitText(salt, text)) !== commitment) {
        throw new LeafMismatch(
          current.id,
          `the text at ${path} is not the text committed when it was appended`,
        );
      }
      salts[path] = encodeBase64(salt);
    } else {
      if (text !== undefined && text !== null && typeof text !== 'string') {
        throw new LeafMismatch(current.id, `${path} holds no text`);
      }
      removeAtPath(event as unknown as JsonValue, path);
      erased[path] = commitment;
    }
  }
  const leaf: EventLeaf = {
    commitments,
    event: redacted,
    kind: 'event',
    roomId: roomIdOf(current),
    roomIndex: stored.roomIndex,
    v: LEAF_FORMAT_VERSION,
  };
  return { event, salts, erased, leafHash: hashLeaf(leafBytes(leaf)) };
}

/**
 * The verifier's side of revealEvent: the leaf an exported event stands for, or the reason it stands for
 * none. Takes ownership of `event` (its revealed fields are removed in place).
 */
export function leafOfExportedEvent(
  event: AuditEvent,
  roomIndex: number | null,
  salts: { readonly [path: string]: string },
  erased: { readonly [path: string]: string },
): EventLeaf | string {
  const commitments: { [path: string]: string } = {};
  for (const path of Object.keys(salts)) {
    const salt = decodeBase64Strict(salts[path]!, 32);
    const text = valueAtPath(event as unknown as JsonValue, path);
    if (salt === null) return `the salt of ${path} is not 32 bytes of base64`;
    if (typeof text !== 'string' || !text.isWellFormed()) return `${path} has a salt but no text`;
    if (Object.hasOwn(erased, path)) return `${path} is both revealed and erased`;
    commitments[path] = encodeBase64(commitText(salt, text));
    removeAtPath(event as unknown as JsonValue, path);
  }
  for (const path of Object.keys(erased)) {
    if (valueAtPath(event as unknown as JsonValue, path) !== undefined)
      return `${path} is erased but has a value`;
    if (decodeBase64Strict(erased[path]!, 32) === null)
      return `the commitment of ${path} is not 32 bytes of base64`;
    commitments[path] = erased[path]!;
  }
  const sorted: { [path: string]: string } = {};
  for (const path of Object.keys(commitments).sort()) sorted[path] = commitments[path]!;
  // keys in canonical order, so leafBytesFast of this leaf is its canonical form
  return {
    commitments: sorted,
    event,
    kind: 'event',
    roomId: roomIdOf(event),
    roomIndex,
    v: LEAF_FORMAT_VERSION,
  };
}
