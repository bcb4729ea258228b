// `npm run chat -- privacy ...`: crypto-shredding's operations (docs/privacy.md).
//   privacy keys [--json]            data keys per master key (live, destroyed), which master keys are
//                                    configured and current: a configured key no live key names can go
//   privacy rewrap [--json]          wraps every live data key with the current master key (rotation)
//   privacy migrate --from URL [--json]
//                                    the one-time copy of a plaintext store (PostgreSQL at URL) into the
//                                    configured one, sealing personal fields; then rebuild the read models
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Config } from '../config.ts';
import { createEventStore } from '../eventstore/createEventStore.ts';
import { createPostgresEventStore } from '../eventstore/postgres/postgresEventStore.ts';
import type { Infrastructure } from '../infrastructure/createInfrastructure.ts';
import { createEncryptingEventStore } from './encryptingEventStore.ts';
import { migratePlaintextEvents } from './migratePlaintextEvents.ts';

export const PRIVACY_USAGE = `usage: npm run chat -- privacy keys [--json]
       npm run chat -- privacy rewrap [--json]
       npm run chat -- privacy migrate --from OLD_DATABASE_URL [--json]`;

export class PrivacyUsageError extends Error {
  override readonly name = 'PrivacyUsageError';
}

export type MasterKeyUse = {
  id: string | null;
  configured: boolean;
  current: boolean;
  liveKeys: number;
  destroyedKeys: number;
};

/** the key table's counts joined with the configured master keys, so an unused one shows with 0 */
async function masterKeyUses(infrastructure: Infrastructure, config: Config): Promise<MasterKeyUse[]> {
  const counts = await infrastructure.keyStore.keyCounts();
  const configured = [...config.PRIVACY_MASTER_KEYS.keys()];
  const ids = [...new Set([...configured, ...counts.map((count) => count.masterKeyId)])];
  return ids.map((id) => {
    const count = counts.find((c) => c.masterKeyId === id);
    return {
      id,
      configured: id !== null && configured.includes(id),
      current: id === config.PRIVACY_MASTER_KEY_ID,
      liveKeys: count?.live ?? 0,
      destroyedKeys: count?.destroyed ?? 0,
    };
  });
}

function formatUses(uses: readonly MasterKeyUse[]): string {
  const width = Math.max(10, ...uses.map((use) => (use.id ?? '').length));
  const lines = [`${'master key'.padEnd(width)} ${'live'.padStart(8)} ${'destroyed'.padStart(10)}`];
  for (const use of uses) {
    const note =
      use.id === null
        ? '(destroyed keys keep no master key)'
        : use.current
          ? 'current'
          : !use.configured
            ? 'NOT CONFIGURED: its live keys cannot be opened'
            : use.liveKeys === 0
              ? 'unused: can be removed from PRIVACY_MASTER_KEYS'
              : 'in use: run `privacy rewrap` before removing it';
    lines.push(
      `${(use.id ?? '-').padEnd(width)} ${String(use.liveKeys).padStart(8)} ${String(use.destroyedKeys).padStart(10)}  ${note}`,
    );
  }
  return lines.join('\n');
}

/** what identifies one database of one running server, to refuse migrating a store into itself */
const DATABASE_IDENTITY = `SELECT current_database() || '@' || pg_postmaster_start_time()::text
  || ':' || coalesce(inet_server_port()::text, 'socket') AS identity`;

async function databaseIdentity(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ identity: string }>(DATABASE_IDENTITY);
  return rows[0]!.identity;
}

async function migrateFrom(
  from: string,
  json: boolean,
  infrastructure: Infrastructure,
  config: Config,
): Promise<number> {
  const sourcePool = new pg.Pool({ connectionString: from, max: 2 });
  const source = createPostgresEventStore({ pool: sourcePool });
  const targetStored = createEventStore(config, { pool: infrastructure.pool });
  try {
    if (
      !config.EVENTSTORE_URL &&
      (await databaseIdentity(sourcePool)) === (await databaseIdentity(infrastructure.pool))
    ) {
      throw new PrivacyUsageError('--from names the configured database itself; migrate into a new one');
    }
    // sealing whatever PRIVACY_ENCRYPTION says: encrypting the old events is what the migration is for
    const targetSealing = createEncryptingEventStore(targetStored, {
      keyStore: infrastructure.keyStore,
      encryptOnAppend: true,
    });
    const started = Date.now();
    let lastLine = 0;
    const result = await migratePlaintextEvents(
      { source, targetStored, targetSealing },
      {
        onProgress: ({ copied, skipped }) => {
          if (Date.now() - lastLine < 2_000) return;
          lastLine = Date.now();
          const rate = Math.round(copied / Math.max(0.001, (Date.now() - started) / 1000));
          console.error(`copied ${copied} events (${rate}/s), ${skipped} already there`);
        },
      },
    );
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(
        `copied ${result.copied} events, ${result.skipped} were already in the target; ` +
          'now rebuild the read models: npm run chat -- projections rebuild',
      );
    }
    return 0;
  } finally {
    await source.close();
    await targetStored.close();
    await sourcePool.end();
  }
}

/** `args` after `privacy`: the command and its options */
export async function runPrivacyCommand(
  infrastructure: Infrastructure,
  config: Config,
  args: readonly string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, from: { type: 'string' } },
  });
  const [command, ...extra] = positionals;
  if (extra.length > 0) throw new PrivacyUsageError(`unexpected ${extra.join(' ')}`);
  switch (command) {
    case 'keys': {
      const uses = await masterKeyUses(infrastructure, config);
      console.log(values.json ? JSON.stringify(uses, null, 2) : formatUses(uses));
      return 0;
    }
    case 'rewrap': {
      const rewrapped = await infrastructure.keyStore.rewrapAll();
      const masterKeyId = config.PRIVACY_MASTER_KEY_ID;
      console.log(
        values.json
          ? JSON.stringify({ rewrapped, masterKeyId })
          : `rewrapped ${rewrapped} data keys with master key ${masterKeyId}`,
      );
      return 0;
    }
    case 'migrate':
      if (!values.from) throw new PrivacyUsageError('migrate needs --from OLD_DATABASE_URL');
      return migrateFrom(values.from, values.json === true, infrastructure, config);
    default:
      throw new PrivacyUsageError(`unknown privacy command ${command ?? ''}`);
  }
}
