// `npm run chat -- audit ...`: the auditors' command line.
//   audit replay --room R [--at T] [--json]   a room's history from the store, readably (or JSON lines)
//   audit export (--room R | --all) [--from T1] [--to T2] --out FILE
//                                            a signed, verifiable export (progress on stderr)
//   audit verify FILE --key PUBKEY           (and --consistency OLD NEW): needs no server, no database
//   audit key                                the verifier key of this deployment's log
//   audit keygen ORIGIN                      a new signer key (AUDIT_SIGNING_KEY) and its verifier key
// Replays and exports are recorded as AuditorRead events before they are made, as REST reads are, by the
// auditor `cli:<OS user>` (an id no token's user id may carry, so no one else is recorded as it).

import { createWriteStream } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { recordAuditorRead } from '../commands/recordAuditorRead.ts';
import type { Config } from '../config.ts';
import type { Actor } from '../domain/actor.ts';
import type { AuditedResource } from '../domain/events.ts';
import { roomStream } from '../domain/streams.ts';
import type { Infrastructure } from '../infrastructure/createInfrastructure.ts';
import { progressBar } from '../progressBar.ts';
import { exportAuditLog } from './exportAuditLog.ts';
import { historyEvent } from './historyEvent.ts';
import { readEvents } from './scanEvents.ts';
import { generateNoteKeys, verifierKeyOf } from './signedNote.ts';
import { auditSigner } from './signingKey.ts';
import { runVerifyCli } from './verifyCli.ts';
import { writeLines } from './writeLines.ts';

export const AUDIT_USAGE = `usage: npm run chat -- audit replay --room ROOM [--at TIME] [--json]
       npm run chat -- audit export (--room ROOM | --all) [--from TIME] [--to TIME] --out FILE
       npm run chat -- audit verify FILE --key VERIFIER_KEY
       npm run chat -- audit verify --consistency OLD NEW --key VERIFIER_KEY
       npm run chat -- audit key
       npm run chat -- audit keygen ORIGIN`;

export class AuditUsageError extends Error {
  override readonly name = 'AuditUsageError';
}

/** the commands that need no database */
export async function runOfflineAuditCommand(args: readonly string[]): Promise<number | null> {
  const [command, ...rest] = args;
  if (command === 'verify') {
    return runVerifyCli(['verify', ...rest], {
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
    });
  }
  if (command === 'keygen') {
    if (rest.length !== 1)
      throw new AuditUsageError('keygen takes the log origin, e.g. chat.example.com/audit');
    const keys = generateNoteKeys(rest[0]!);
    console.log(`AUDIT_SIGNING_KEY=${keys.signerKey}\nverifier key: ${keys.verifierKey}`);
    return 0;
  }
  return null;
}

function time(text: string | undefined, option: string): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new AuditUsageError(`--${option} is not a time: ${text}`);
  return at;
}

export async function runAuditCommand(
  args: readonly string[],
  infrastructure: Infrastructure,
  config: Config,
): Promise<number> {
  const [command, ...rest] = args;
  const { values } = parseArgs({
    args: [...rest],
    options: {
      room: { type: 'string' },
      all: { type: 'boolean', default: false },
      at: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const { pool, eventStore } = infrastructure;
  // a room that never existed has no history to read, and gets none from a read of it
  const roomExists = async (roomId: string) =>
    (await eventStore.readStream(roomStream(roomId), { limit: 1 })).length > 0;
  const recordRead = (resource: AuditedResource, roomId: string | undefined, query: Record<string, string>) =>
    recordAuditorRead(
      { eventStore, actor: cliAuditor() },
      { resource, ...(roomId ? { roomId } : {}), query },
    );
  switch (command) {
    case 'key':
      console.log(verifierKeyOf(await auditSigner(pool, config)));
      return 0;
    case 'replay': {
      if (!values.room) throw new AuditUsageError('replay needs --room');
      const at = time(values.at, 'at');
      if (await roomExists(values.room))
        await recordRead('room_events', values.room, at ? { at: at.toISOString() } : {});
      let events = 0;
      for await (const page of readEvents(eventStore, { roomId: values.room })) {
        for (const event of page) {
          if (at && event.recordedAt > at) continue;
          events++;
          const line = historyEvent(event);
          console.log(values.json ? JSON.stringify(line) : readable(line));
        }
      }
      if (events === 0) {
        console.error(`room ${values.room}: no events${at ? ` recorded by ${at.toISOString()}` : ''}`);
        return 1;
      }
      return 0;
    }
    case 'export': {
      if (!values.out) throw new AuditUsageError('export needs --out FILE');
      if ((values.room === undefined) === (values.all !== true)) {
        throw new AuditUsageError('export takes --room ROOM or --all');
      }
      const from = time(values.from, 'from');
      const to = time(values.to, 'to');
      const signer = await auditSigner(pool, config);
      if (values.all || (await roomExists(values.room!)))
        await recordRead('export', values.room, {
          ...(values.all ? { all: 'true' } : {}),
          ...(from ? { from: from.toISOString() } : {}),
          ...(to ? { to: to.toISOString() } : {}),
        });
      const started = Date.now();
      let lastDrawn = 0;
      let shown = { written: 0, total: 0 };
      const draw = (written: number, total: number, force = false) => {
        shown = { written, total };
        if (!force && Date.now() - lastDrawn < 200) return;
        lastDrawn = Date.now();
        const rate = Math.round(written / Math.max(0.001, (Date.now() - started) / 1000));
        const line = progressBar(total === 0 ? 1 : written / total, written, rate);
        process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
      };
      const out = createWriteStream(values.out);
      const lines = exportAuditLog(pool, eventStore, signer, {
        scope: values.room ? { roomId: values.room } : { all: true },
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
        onProgress: draw,
      });
      await writeLines(lines, out);
      draw(shown.total, shown.total, true);
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.error(
        `wrote ${values.out}; verify with: npm run chat -- audit verify ${values.out} --key '${verifierKeyOf(signer)}'`,
      );
      return 0;
    }
    default:
      throw new AuditUsageError(`unknown audit command ${command ?? ''}`);
  }
}

/** who the command line reads as: the OS user, under an id with a ':' that no token's user id may carry */
function cliAuditor(): Actor {
  return { userId: `cli:${os.userInfo().username}`, roles: ['auditor'] };
}

/** `2026-12-02T19:00:00.000Z  00000…-00042  alice  MessageEdited  {"content":"…"}` */
function readable(event: ReturnType<typeof historyEvent>): string {
  return [
    event.recorded_at,
    event.position,
    event.actor_id ?? '-',
    event.type,
    JSON.stringify(event.data),
  ].join('  ');
}
