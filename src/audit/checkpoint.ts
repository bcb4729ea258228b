// C2SP tlog-checkpoint: a signed note whose text is the log's origin, tree size and base64 root hash
// (extension lines, NOT RECOMMENDED by the spec, are parsed and never written).
import { decodeBase64Strict, encodeBase64 } from './base64.ts';
import { HASH_BYTES } from './merkleTree.ts';
import { NoteError, type NoteSigner, type NoteVerifier, openNote, signNote } from './signedNote.ts';

export type Checkpoint = { readonly origin: string; readonly size: number; readonly rootHash: Buffer };

export function formatCheckpoint(checkpoint: Checkpoint): string {
  if (checkpoint.origin.length === 0 || checkpoint.origin.includes('\n')) throw new RangeError('bad origin');
  if (!Number.isSafeInteger(checkpoint.size) || checkpoint.size < 0) throw new RangeError('bad tree size');
  if (checkpoint.rootHash.length !== HASH_BYTES) throw new RangeError('bad root hash');
  return `${checkpoint.origin}\n${checkpoint.size}\n${encodeBase64(checkpoint.rootHash)}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length < 3 || lines.some((line) => line.length === 0)) {
    throw new NoteError('malformed_note', 'a checkpoint is at least three non-empty lines');
  }
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new NoteError('malformed_note', `not a tree size: ${JSON.stringify(sizeText)}`);
  }
  const rootHash = decodeBase64Strict(rootText, HASH_BYTES);
  if (rootHash === null) throw new NoteError('malformed_note', 'the root hash is not 32 bytes of base64');
  return { origin, size: Number(sizeText), rootHash };
}

export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), [signer]);
}

/** The checkpoint of a note signed by `verifier`, whose key name must be the checkpoint's origin. */
export function openCheckpoint(note: string, verifier: NoteVerifier): Checkpoint {
  const checkpoint = parseCheckpoint(openNote(note, [verifier]).text);
  if (checkpoint.origin !== verifier.name) {
    throw new NoteError(
      'no_trusted_signature',
      `the checkpoint's origin ${checkpoint.origin} is not the key's log`,
    );
  }
  return checkpoint;
}
