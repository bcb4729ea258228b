// Stream names and the ids that make creation and retries idempotent, or order by time.
import { hash, randomUUID } from 'node:crypto';
import { parse as parseUuid } from 'uuid';
import type { UserId } from './events.ts';

// Fixed namespaces: changing one changes every derived id, so never do. Parsed once: three ids are
// derived per message sent, and parsing the namespace and encoding the name were half their cost.
const DIRECT_ROOM_NAMESPACE = parseUuid('6f1c2b7e-3d0a-4f61-9a51-1d2c3b4a5e60');
const CLIENT_MESSAGE_NAMESPACE = parseUuid('0b8e4f9a-7c21-4d3e-8f56-2a1b9c8d7e61');
const PARTICIPANT_NAMESPACE = parseUuid('a4d5e6f7-1b2c-4d3e-9f80-3c4d5e6f7a62');
const REPORT_NAMESPACE = parseUuid('c7b8a9d0-2e3f-4a5b-8c6d-4e5f6a7b8c63');

const VARIANT_DIGIT = '89ab';

/**
 * RFC 9562 name-based (v5) id of `name` (UTF-8) in `namespace`: the first 128 bits of SHA-1 over the
 * namespace's bytes and the name's, with the version and variant set. The uuid package's v5 is the same
 * id (a unit test holds them together) through a Hash object a call; Node's one-shot hash() is a third of
 * its cost, and every message sent derives two of these.
 */
export function nameBasedId(name: string, namespace: Uint8Array | string): string {
  const space = typeof namespace === 'string' ? parseUuid(namespace) : namespace;
  const digest = hash('sha1', Buffer.concat([space, Buffer.from(name, 'utf8')]), 'hex');
  const variant = VARIANT_DIGIT[Number.parseInt(digest[16]!, 16) & 0x3]!;
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-${variant}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
}

/**
 * A new RFC 9562 time-ordered (v7) id: the 48-bit millisecond time, then random bits (taken from Node's
 * buffered randomUUID; the uuid package's v7 asked the system for 16 random bytes on every call, a cost
 * the send path paid twice a message). Ids of one millisecond are in no particular order.
 */
export function timeOrderedId(): string {
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7${randomUUID().slice(15)}`;
}

export const roomStream = (roomId: string) => `room-${roomId}`;
export const messageStream = (messageId: string) => `message-${messageId}`;
export const readMarkerStream = (roomId: string, userId: UserId) => `readmarker-${roomId}_${userId}`;
export const blocksStream = (userId: UserId) => `blocks-${userId}`;
export const reportStream = (reportId: string) => `report-${reportId}`;
export const bounceStream = (bounceId: string) => `bounce-${bounceId}`;
export const auditReadStream = (readId: string) => `auditread-${readId}`;
export const erasureStream = (erasureId: string) => `erasure-${erasureId}`;
export const legalHoldStream = (holdId: string) => `legalhold-${holdId}`;
export const retentionStream = (roomId: string) => `retention-${roomId}`;
/** one stream for the whole policy: its revision is the policy's version */
export const MODERATION_POLICY_STREAM = 'moderation-policy';
export const RETENTION_POLICY_STREAM = 'retention-policy';

/** The one direct room between two users, whoever creates it first. */
export function directRoomId(a: UserId, b: UserId): string {
  const [first, second] = [a, b].sort();
  return nameBasedId(`${first}\u0000${second}`, DIRECT_ROOM_NAMESPACE);
}

const TIME_ORDERED_UUID = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * A retried send with the same client_id maps to the same message id, hence the same stream. A client id
 * that is a UUIDv7 (what the client library makes) lends its 48-bit time to the message id (a UUIDv8 whose
 * other bits are the name-based id's): message ids, the `message-<id>` streams and the read models keyed
 * by them then grow in time order, so a new message's index entries land on the indexes' newest pages
 * instead of anywhere in them (on a year's store, a random key made every send read and dirty pages
 * spread over gigabytes of index; docs/performance.md). Any other client id gives the name-based id.
 */
export function messageIdForClientId(senderId: UserId, clientId: string): string {
  const named = nameBasedId(`${senderId}\u0000${clientId}`, CLIENT_MESSAGE_NAMESPACE);
  const time = TIME_ORDERED_UUID.exec(clientId);
  if (!time) return named;
  return `${time[1]!.toLowerCase()}-${time[2]!.toLowerCase()}-8${named.slice(15)}`;
}

/** The REST id of a participant (`/api/chat/participants/{id}/`): stable for a user in a room. */
export function participantId(roomId: string, userId: UserId): string {
  return nameBasedId(`${roomId}\u0000${userId}`, PARTICIPANT_NAMESPACE);
}

/** One report per reporter per message: reporting twice is the same report. */
export function reportId(messageId: string, reporterId: UserId): string {
  return nameBasedId(`${messageId}\u0000${reporterId}`, REPORT_NAMESPACE);
}

/**
 * The MessageSent event's id for a client_id send: the same content gives the same event id, so a store-level
 * retry dedupes; other content under the same client_id gives another id, which conflicts instead of being
 * taken for a retry. `fingerprint` names everything the sender chose (see sendFingerprint).
 */
export function messageSentEventId(messageId: string, fingerprint: string): string {
  return nameBasedId(fingerprint, messageId);
}
