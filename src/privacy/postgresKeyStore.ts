// The KeyStore in PostgreSQL: table privacy_data_keys (migrations/1010_privacy_data_keys.sql), one row per
// data key, wrapped by the KeyWrapper. Creating the live keys of many scopes is two statements whatever
// their number: an insert of candidates that yields to existing live keys, then a read of the live ones.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { type DataKey, type KeyScope, type KeySelection, type KeyStore, scopeKey } from './keyStore.ts';
import { KEY_BYTES, type KeyWrapper } from './keyWrapper.ts';

const INSERT_CANDIDATES = `
INSERT INTO privacy_data_keys (key_id, subject_id, room_id, day, master_key_id, wrapped)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], $6::bytea[])
ORDER BY 2, 3, 4
ON CONFLICT (subject_id, room_id, day) WHERE destroyed_at IS NULL DO NOTHING`;

const SELECT_LIVE = `
SELECT k.key_id, k.subject_id, k.room_id, to_char(k.day, 'YYYY-MM-DD') AS day, k.master_key_id, k.wrapped
FROM unnest($1::text[], $2::text[], $3::date[]) AS s(subject_id, room_id, day)
JOIN privacy_data_keys k USING (subject_id, room_id, day)
WHERE k.destroyed_at IS NULL`;

const SELECT_BY_ID = `
SELECT key_id, master_key_id, wrapped FROM privacy_data_keys WHERE key_id = ANY($1::text[])`;

const DESTROY = `
UPDATE privacy_data_keys SET wrapped = NULL, master_key_id = NULL, destroyed_at = now()
WHERE destroyed_at IS NULL
  AND ($1::text IS NULL OR subject_id = $1)
  AND ($2::text[] IS NULL OR room_id = ANY($2))
  AND ($3::date IS NULL OR day < $3)
RETURNING key_id, subject_id, room_id, to_char(day, 'YYYY-MM-DD') AS day`;

// moved by a trigger on every statement that destroys keys, whichever code runs it (migration 1012)
const SELECT_DESTRUCTIONS = 'SELECT destructions::text FROM privacy_key_destructions';

const SELECT_TO_REWRAP = `
SELECT key_id, master_key_id, wrapped FROM privacy_data_keys
WHERE destroyed_at IS NULL AND master_key_id <> $1 ORDER BY key_id LIMIT $2`;

const REWRAP = `
UPDATE privacy_data_keys k SET master_key_id = $1, wrapped = r.wrapped
FROM unnest($2::text[], $3::bytea[]) AS r(key_id, wrapped)
WHERE k.key_id = r.key_id AND k.destroyed_at IS NULL`;

const COUNT_BY_MASTER_KEY = `
SELECT master_key_id,
       count(*) FILTER (WHERE destroyed_at IS NULL)::int AS live,
       count(*) FILTER (WHERE destroyed_at IS NOT NULL)::int AS destroyed
FROM privacy_data_keys GROUP BY master_key_id ORDER BY master_key_id NULLS LAST`;

type KeyRow = { key_id: string; master_key_id: string | null; wrapped: Buffer | null };

export function createPostgresKeyStore(deps: { pool: pg.Pool; wrapper: KeyWrapper }): KeyStore {
  const { pool, wrapper } = deps;
  const unwrap = (row: KeyRow) => wrapper.unwrap({ masterKeyId: row.master_key_id!, wrapped: row.wrapped! });

  async function readLive(scopes: readonly KeyScope[]) {
    const { rows } = await pool.query<KeyRow & { subject_id: string; room_id: string; day: string }>(
      SELECT_LIVE,
      [scopes.map((s) => s.subjectId), scopes.map((s) => s.roomId), scopes.map((s) => s.day)],
    );
    return new Map(
      rows.map((row) => [scopeKey({ subjectId: row.subject_id, roomId: row.room_id, day: row.day }), row]),
    );
  }

  return {
    async liveKeys(scopes) {
      let live = await readLive(scopes);
      const missing = scopes.filter((scope) => !live.has(scopeKey(scope)));
      if (missing.length > 0) {
        const wrapped = missing.map(() => wrapper.wrap(randomBytes(KEY_BYTES)));
        await pool.query(INSERT_CANDIDATES, [
          missing.map(() => randomBytes(16).toString('base64url')),
          missing.map((s) => s.subjectId),
          missing.map((s) => s.roomId),
          missing.map((s) => s.day),
          wrapped.map((w) => w.masterKeyId),
          wrapped.map((w) => w.wrapped),
        ]);
        live = await readLive(scopes);
      }
      return scopes.map((scope) => {
        const row = live.get(scopeKey(scope));
        // only a destruction between the insert and the read leaves a scope without a live key
        if (!row) throw new Error('a data key was destroyed while it was being created');
        return { keyId: row.key_id, key: unwrap(row) } satisfies DataKey;
      });
    },

    async keysById(keyIds) {
      const { rows } = await pool.query<KeyRow>(SELECT_BY_ID, [keyIds]);
      return new Map(rows.map((row) => [row.key_id, row.wrapped === null ? 'destroyed' : unwrap(row)]));
    },

    async destroy(selection: KeySelection) {
      if (!selection.subjectId && !selection.roomIds && !selection.before) {
        throw new RangeError('a destruction selects by subject, rooms or day; never every key');
      }
      const { rows } = await pool.query<{ key_id: string; subject_id: string; room_id: string; day: string }>(
        DESTROY,
        [selection.subjectId ?? null, selection.roomIds ?? null, selection.before ?? null],
      );
      return rows.map((row) => ({
        keyId: row.key_id,
        subjectId: row.subject_id,
        roomId: row.room_id,
        day: row.day,
      }));
    },

    async destructions() {
      const { rows } = await pool.query<{ destructions: string }>(SELECT_DESTRUCTIONS);
      return BigInt(rows[0]!.destructions);
    },

    async rewrapAll() {
      let total = 0;
      for (;;) {
        const { rows } = await pool.query<KeyRow>(SELECT_TO_REWRAP, [wrapper.currentMasterKeyId, 500]);
        if (rows.length === 0) return total;
        const rewrapped = rows.map((row) => wrapper.wrap(unwrap(row)).wrapped);
        await pool.query(REWRAP, [wrapper.currentMasterKeyId, rows.map((r) => r.key_id), rewrapped]);
        total += rows.length;
      }
    },

    async keyCounts() {
      const { rows } = await pool.query<{ master_key_id: string | null; live: number; destroyed: number }>(
        COUNT_BY_MASTER_KEY,
      );
      return rows.map((row) => ({
        masterKeyId: row.master_key_id,
        live: row.live,
        destroyed: row.destroyed,
      }));
    },
  };
}
