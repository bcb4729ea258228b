// What the audit tree commits to. An event leaf is the event as JSON with its personal text fields
// removed and, in their place, one salted commitment per field: SHA-256(salt || UTF-8 text), with
// salt = HMAC-SHA256(event secret, "chat-audit/salt/v1\n" + path). An export reveals salt and text of a
// field whose text still exists (the verifier recomputes the commitment) and only the commitment of one
// erased since; either way the leaf, and every proof over it, is the same. Why: docs/audit.md.
import { createHash, createHmac } from 'node:crypto';
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

export function auditEventOf(event: RecordedEvent): AuditEvent {
  return {
    id: event.id,
    stream: event.stream,
    revision: event.revision.toString(),
    type: event.type,
    position: encodePosition(event.position),
    recordedAt: event.recordedAt.toISOString(),
    data: toJsonValue(event.data, 'data'),
    metadata: toJsonValue(event.metadata, 'metadata'),
  };
}

export function roomIdOf(event: AuditEvent): string | null {
  const metadata = event.metadata;
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return null;
  return typeof metadata.roomId === 'string' ? metadata.roomId : null;
}

export function deriveSalt(secret: Uint8Array, path: string): Buffer {
  return createHmac('sha256', secret).update(`chat-audit/salt/v1\n${path}`).digest();
}

export function commitText(salt: Uint8Array, text: string): Buffer {
  return createHash('sha256').update(salt).update(text, 'utf8').digest();
}

export function leafBytes(leaf: EventLeaf): string {
  return canonicalJson(leaf as unknown as JsonValue);
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
  const redacted = structuredClone(event);
  const commitments: { [path: string]: string } = {};
  for (const path of personalTextPaths(event.type, event as unknown as { [key: string]: JsonValue })) {
    const text = valueAtPath(event as unknown as JsonValue, path) as string;
    commitments[path] = encodeBase64(commitText(deriveSalt(secret, path), text));
    removeAtPath(redacted as unknown as JsonValue, path);
  }
  const leaf: EventLeaf = {
    v: LEAF_FORMAT_VERSION,
    kind: 'event',
    roomId,
    roomIndex,
    event: redacted,
    commitments,
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
  const event = structuredClone(current);
  const redacted = structuredClone(current);
  const salts: { [path: string]: string } = {};
  const erased: { [path: string]: string } = {};
  for (const [path, commitment] of Object.entries(stored.commitments)) {
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
    v: LEAF_FORMAT_VERSION,
    kind: 'event',
    roomId: roomIdOf(current),
    roomIndex: stored.roomIndex,
    event: redacted,
    commitments: { ...stored.commitments },
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
  return {
    v: LEAF_FORMAT_VERSION,
    kind: 'event',
    roomId: roomIdOf(event),
    roomIndex,
    event,
    commitments: sorted,
  };
}
