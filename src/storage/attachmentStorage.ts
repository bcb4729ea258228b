// Where uploaded files live. The API checks who may upload and fetch; storage only keeps bytes and the
// facts about them. Local disk today (localDiskStorage.ts); an S3-compatible store can implement the same.
import type { Readable } from 'node:stream';
import { withoutForbiddenNameCharacters } from '../domain/text.ts';

export type StoredAttachment = {
  /** uuid chosen by the server; never derived from the client's file name */
  id: string;
  roomId: string;
  uploaderId: string;
  /** display name, already sanitized (see sanitizeFileName) */
  fileName: string;
  /** the type sniffed from the content, never the client's claim */
  contentType: string;
  sizeBytes: number;
  createdAt: string;
};

export interface AttachmentStorage {
  save(attachment: StoredAttachment, content: Uint8Array): Promise<void>;
  /** the attachment's facts, or null when there is no such id */
  describe(id: string): Promise<StoredAttachment | null>;
  /** the bytes; only call after describe() found it */
  open(id: string): Readable;
  /** every attachment's facts. Reads them all: rare work (a retention run), not for a request path */
  list(): Promise<StoredAttachment[]>;
  /**
   * deletes every attachment whose facts match, bytes and facts (an erasure, retention); returns their
   * ids. Reads every attachment's facts: rare work, not for a request path
   */
  deleteMatching(match: (attachment: StoredAttachment) => boolean): Promise<string[]>;
}

const MAX_FILE_NAME_LENGTH = 200;

/**
 * A file name safe to show and to put in Content-Disposition: no path, and none of what a name may not
 * contain (src/domain/text.ts: controls, bidi and invisible characters hide or reverse a name's real end,
 * or split a header). Taken out rather than refused: the name comes from the sender's file system.
 */
export function sanitizeFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = withoutForbiddenNameCharacters(base).replace(/^\.+/, '').trim();
  return [...clean].slice(0, MAX_FILE_NAME_LENGTH).join('') || 'attachment';
}
