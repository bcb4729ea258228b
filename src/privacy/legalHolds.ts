// Legal holds at the edge (docs/privacy.md, "Legal hold"), in PostgreSQL beside the data keys
// (migrations/1011_privacy_legal_holds.sql): a hold covers the keys whose subject, room and day match
// every part it names. Placing a hold and destroying a subject's keys take one advisory lock, so an
// erasure either sees a hold placed before it or runs wholly before the hold is placed.
import type pg from 'pg';
import { inTransaction } from '../db/transaction.ts';
import type { HoldScope } from '../domain/events.ts';
import type { KeyScope } from './keyStore.ts';

/** any fixed number: the lock placing holds and destroying keys share */
const HOLD_LOCK = 7_164_201_818;

const COVERED_BY = (hold: string, key: string) => `
  ${hold}.released_at IS NULL
  AND (${hold}.user_id IS NULL OR ${hold}.user_id = ${key}.subject_id)
  AND (${hold}.room_id IS NULL OR ${hold}.room_id = ${key}.room_id)
  AND (${hold}.from_day IS NULL OR ${key}.day >= ${hold}.from_day)
  AND (${hold}.to_day IS NULL OR ${key}.day <= ${hold}.to_day)`;

const HOLDS_OVER_SUBJECT = `
SELECT DISTINCT h.hold_id FROM privacy_legal_holds h
JOIN privacy_data_keys k ON k.destroyed_at IS NULL AND k.subject_id = $1 AND ${COVERED_BY('h', 'k')}
ORDER BY h.hold_id`;

const DESTROY_SUBJECT = `
UPDATE privacy_data_keys SET wrapped = NULL, master_key_id = NULL, destroyed_at = now()
WHERE destroyed_at IS NULL AND subject_id = $1
RETURNING key_id, subject_id, room_id, to_char(day, 'YYYY-MM-DD') AS day`;

export type SubjectDestruction =
  | { readonly heldBy: string[] }
  | { readonly destroyed: (KeyScope & { keyId: string })[] };

export type LegalHolds = {
  place(holdId: string, scope: HoldScope): Promise<void>;
  /** false when there was no active hold of that id */
  release(holdId: string): Promise<boolean>;
  /** every key of the subject, unless a hold covers any of them: then nothing, and the holds */
  destroySubjectUnlessHeld(subjectId: string): Promise<SubjectDestruction>;
  queueErasure(erasure: { erasureId: string; subjectId: string; requestedBy: string }): Promise<void>;
  erasureDone(erasureId: string): Promise<void>;
  queuedErasures(): Promise<{ erasureId: string; subjectId: string; requestedBy: string }[]>;
};

export function createPostgresLegalHolds(pool: pg.Pool): LegalHolds {
  const locked = <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> =>
    inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [HOLD_LOCK]);
      return work(client);
    });

  return {
    place: (holdId, scope) =>
      locked(async (client) => {
        await client.query(
          `INSERT INTO privacy_legal_holds (hold_id, user_id, room_id, from_day, to_day)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hold_id) DO NOTHING`,
          [holdId, scope.userId, scope.roomId, scope.from, scope.to],
        );
      }),
    async release(holdId) {
      const { rowCount } = await pool.query(
        'UPDATE privacy_legal_holds SET released_at = now() WHERE hold_id = $1 AND released_at IS NULL',
        [holdId],
      );
      return (rowCount ?? 0) > 0;
    },
    destroySubjectUnlessHeld: (subjectId) =>
      locked(async (client) => {
        const held = await client.query<{ hold_id: string }>(HOLDS_OVER_SUBJECT, [subjectId]);
        if (held.rows.length > 0) return { heldBy: held.rows.map((row) => row.hold_id) };
        const { rows } = await client.query<{
          key_id: string;
          subject_id: string;
          room_id: string;
          day: string;
        }>(DESTROY_SUBJECT, [subjectId]);
        return {
          destroyed: rows.map((row) => ({
            keyId: row.key_id,
            subjectId: row.subject_id,
            roomId: row.room_id,
            day: row.day,
          })),
        };
      }),
    async queueErasure({ erasureId, subjectId, requestedBy }) {
      await pool.query(
        `INSERT INTO privacy_erasures (erasure_id, subject_id, requested_by) VALUES ($1, $2, $3)
         ON CONFLICT (erasure_id) DO NOTHING`,
        [erasureId, subjectId, requestedBy],
      );
    },
    async erasureDone(erasureId) {
      await pool.query('UPDATE privacy_erasures SET erased_at = now() WHERE erasure_id = $1', [erasureId]);
    },
    async queuedErasures() {
      const { rows } = await pool.query<{ erasure_id: string; subject_id: string; requested_by: string }>(
        'SELECT erasure_id, subject_id, requested_by FROM privacy_erasures WHERE erased_at IS NULL ORDER BY requested_at',
      );
      return rows.map((row) => ({
        erasureId: row.erasure_id,
        subjectId: row.subject_id,
        requestedBy: row.requested_by,
      }));
    },
  };
}
