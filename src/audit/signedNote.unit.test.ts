import { describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.ts';
import {
  generateNoteKeys,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifierKeyOf,
} from './signedNote.ts';

// Published with Go's golang.org/x/mod/sumdb/note tests: a key pair and the note it signs.
const PETER_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VERIFIER = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

describe('C2SP signed note', () => {
  it('signs byte for byte as Go sumdb/note does, and derives the same verifier key', () => {
    const signer = parseSignerKey(PETER_SIGNER);
    expect(signNote(TEXT, [signer])).toBe(`${TEXT}\n${PETER_SIG}`);
    expect(verifierKeyOf(signer)).toBe(PETER_VERIFIER);
  });

  it('opens a note with a trusted signature and ignores signatures of unknown keys', () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [parseVerifierKey(PETER_VERIFIER)]);
    expect(opened).toEqual({ text: TEXT, verifiedBy: ['PeterNeumann'] });
    const both = openNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [
      parseVerifierKey(PETER_VERIFIER),
      parseVerifierKey(ENOCH_VERIFIER),
    ]);
    expect(both.verifiedBy).toEqual(['PeterNeumann', 'EnochRoot']);
  });

  it('refuses a note without a trusted signature, with a changed text or a changed signature', () => {
    const peter = [parseVerifierKey(PETER_VERIFIER)];
    expect(() => openNote(`${TEXT}\n${ENOCH_SIG}`, peter)).toThrow(/no signature of a trusted key/);
    expect(() => openNote(`${TEXT.replace('answer', 'Answer')}\n${PETER_SIG}`, peter)).toThrow(
      /does not verify/,
    );
    const badSig = `${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(64)}`;
    expect(() => openNote(`${TEXT}\n${badSig}`, peter)).toThrow(/does not verify/);
  });

  it('refuses malformed notes', () => {
    const peter = [parseVerifierKey(PETER_VERIFIER)];
    for (const bad of [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${TEXT}\n${PETER_SIG}`,
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
    ]) {
      expect(() => openNote(bad, peter)).toThrow();
    }
  });

  it('refuses every one-character change of a verifier key', () => {
    expect(() => parseVerifierKey(PETER_VERIFIER)).not.toThrow();
    for (let i = 0; i < PETER_VERIFIER.length; i++) {
      const changed =
        PETER_VERIFIER.slice(0, i) +
        String.fromCharCode(PETER_VERIFIER.charCodeAt(i) + 1) +
        PETER_VERIFIER.slice(i + 1);
      expect(() => parseVerifierKey(changed), changed).toThrow();
    }
  });

  it('generates key pairs whose signatures verify', () => {
    const { signerKey, verifierKey } = generateNoteKeys('chat.example/audit');
    const note = signNote('hello\n', [parseSignerKey(signerKey)]);
    expect(openNote(note, [parseVerifierKey(verifierKey)]).text).toBe('hello\n');
    const other = generateNoteKeys('chat.example/audit');
    expect(() => openNote(note, [parseVerifierKey(other.verifierKey)])).toThrow(
      /no signature of a trusted key/,
    );
  });
});

describe('C2SP checkpoint', () => {
  const keys = generateNoteKeys('chat.example/audit');
  const signer = parseSignerKey(keys.signerKey);
  const verifier = parseVerifierKey(keys.verifierKey);
  const checkpoint = { origin: 'chat.example/audit', size: 20852163, rootHash: Buffer.alloc(32, 7) };

  it('writes origin, size and base64 root, and reads back what it signed', () => {
    expect(formatCheckpoint(checkpoint)).toBe(
      `chat.example/audit\n20852163\n${Buffer.alloc(32, 7).toString('base64')}\n`,
    );
    expect(openCheckpoint(signCheckpoint(checkpoint, signer), verifier)).toEqual(checkpoint);
  });

  it('refuses any changed character of a signed checkpoint', () => {
    const note = signCheckpoint(checkpoint, signer);
    for (let i = 0; i < note.length; i++) {
      const code = note.charCodeAt(i);
      const replacement = code === 0x0a ? 'x' : String.fromCharCode(code === 0x41 ? 0x42 : 0x41);
      const changed = note.slice(0, i) + replacement + note.slice(i + 1);
      if (changed === note) continue;
      expect(() => openCheckpoint(changed, verifier), `change at ${i}`).toThrow();
    }
  });

  it('refuses a checkpoint for another origin and malformed sizes or roots', () => {
    const otherLog = signCheckpoint({ ...checkpoint, origin: 'other.example/log' }, signer);
    expect(() => openCheckpoint(otherLog, verifier)).toThrow(/origin/);
    expect(() => parseCheckpoint(`o\n012\n${Buffer.alloc(32).toString('base64')}\n`)).toThrow(/tree size/);
    expect(() => parseCheckpoint(`o\n12\n${Buffer.alloc(31).toString('base64')}\n`)).toThrow(/root hash/);
    expect(() => parseCheckpoint('o\n12\n')).toThrow(/three/);
  });
});
