// Standalone verifier of audit exports: needs the file(s) and the log's public key, no server, no database.
//   node src/audit/verifyCli.ts verify FILE --key VERIFIER_KEY
//   node src/audit/verifyCli.ts verify --consistency OLD NEW --key VERIFIER_KEY
// --key-file PATH reads the key from a file instead. Exit codes: 0 verified, 1 verification failed,
// 2 bad usage or an unreadable file.
import { createReadStream, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyExportConsistency } from './verifyConsistency.ts';
import { type VerificationFailure, type VerifiedExport, verifyExport } from './verifyExport.ts';

export const EXIT_VERIFIED = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE = `usage:
  verify FILE --key VERIFIER_KEY
  verify --consistency OLD NEW --key VERIFIER_KEY
  (--key-file PATH instead of --key reads the key from a file)`;

type Output = { out: (text: string) => void; err: (text: string) => void };

export async function runVerifyCli(args: readonly string[], output: Output): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    output.err(`${(error as Error).message}\n${USAGE}`);
    return EXIT_USAGE;
  }
  const { files, key, consistency } = parsed;
  try {
    if (consistency) {
      const [oldFile, newFile] = files as [string, string];
      const result = await verifyExportConsistency(open(oldFile), open(newFile), key);
      if (!result.ok) {
        const where = { old: `OLD ${oldFile}`, new: `NEW ${newFile}`, both: 'OLD and NEW' }[result.file];
        output.err(`NOT VERIFIED: ${where}: ${describeFailure(result.failure)}`);
        return EXIT_FAILED;
      }
      output.out(
        `verified: NEW (tree size ${result.newer.checkpoint.size}) extends OLD (tree size ${result.older.checkpoint.size}) of ${result.newer.checkpoint.origin}`,
      );
      return EXIT_VERIFIED;
    }
    const result = await verifyExport(open(files[0]!), key);
    if (!result.ok) {
      output.err(`NOT VERIFIED: ${describeFailure(result.failure)}`);
      return EXIT_FAILED;
    }
    output.out(describeExport(result.export));
    return EXIT_VERIFIED;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      output.err(`cannot read ${(error as NodeJS.ErrnoException).path ?? 'the file'}: ${code}`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

function parseOptions(args: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      key: { type: 'string' },
      'key-file': { type: 'string' },
      consistency: { type: 'boolean', default: false },
    },
  });
  const [command, ...files] = positionals;
  if (command !== 'verify') throw new Error('the command is "verify"');
  const consistency = values.consistency === true;
  if (files.length !== (consistency ? 2 : 1)) {
    throw new Error(consistency ? '--consistency takes two files, OLD and NEW' : 'verify takes one file');
  }
  if ((values.key === undefined) === (values['key-file'] === undefined))
    throw new Error('give --key or --key-file');
  const key = values.key ?? readFileSync(values['key-file']!, 'utf8').trim();
  return { files, key, consistency };
}

function open(file: string) {
  // 1 MiB reads: the verifier takes a chunk's lines at once
  return createReadStream(file, { highWaterMark: 1024 * 1024 });
}

function describeFailure(failure: VerificationFailure): string {
  const where = [
    failure.line > 0 ? `line ${failure.line}` : null,
    failure.eventId !== undefined ? `event ${failure.eventId}` : null,
    failure.roomId !== undefined
      ? `room ${failure.roomId}${failure.roomIndex !== undefined ? ` event #${failure.roomIndex}` : ''}`
      : null,
  ].filter((part) => part !== null);
  return where.length > 0 ? `${where.join(', ')}: ${failure.reason}` : failure.reason;
}

function describeExport(verified: VerifiedExport): string {
  const rooms = verified.rooms.map((r) => `  room ${r.roomId}: all ${r.events} events`).join('\n');
  const extendsLine =
    verified.extends.length > 0
      ? `\n  extends the log at tree sizes ${verified.extends.map((h) => h.size).join(', ')}`
      : '';
  return `verified: ${verified.events} events of ${verified.checkpoint.origin} at tree size ${verified.checkpoint.size}, root ${verified.checkpoint.rootHash.toString('base64')}\n${rooms}${extendsLine}`;
}

if (import.meta.main) {
  const code = await runVerifyCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  });
  process.exitCode = code;
}
