// The log's signing key: AUDIT_SIGNING_KEY (a C2SP signer key whose name is the log's origin) when set.
// Outside production, without one, a key is generated on first start and kept in the database
// (audit_development_key), so every process of the deployment signs with the same one. Production
// without AUDIT_SIGNING_KEY signs nothing: an export is refused, the rest of the service runs.
import type pg from 'pg';
import type { Config } from '../config.ts';
import { generateNoteKeys, type NoteSigner, parseSignerKey } from './signedNote.ts';

export class NoSigningKey extends Error {
  override readonly name = 'NoSigningKey';
  constructor() {
    super(
      'set AUDIT_SIGNING_KEY (a C2SP signer key: npm run chat -- audit keygen ORIGIN) to sign audit exports',
    );
  }
}

type SigningConfig = Pick<Config, 'AUDIT_SIGNING_KEY' | 'AUDIT_ORIGIN' | 'NODE_ENV'>;

export async function auditSigner(pool: pg.Pool, config: SigningConfig): Promise<NoteSigner> {
  if (config.AUDIT_SIGNING_KEY) return parseSignerKey(config.AUDIT_SIGNING_KEY);
  if (config.NODE_ENV === 'production') throw new NoSigningKey();
  await pool.query(
    'INSERT INTO audit_development_key (id, signer_key) VALUES (true, $1) ON CONFLICT (id) DO NOTHING',
    [generateNoteKeys(config.AUDIT_ORIGIN).signerKey],
  );
  const { rows } = await pool.query<{ signer_key: string }>('SELECT signer_key FROM audit_development_key');
  return parseSignerKey(rows[0]!.signer_key);
}
