// Legal holds at the edge (docs/privacy.md, "Legal hold"), in PostgreSQL beside the data keys
// (migrations/1011_privacy_legal_holds.sql): a hold covers the keys whose subject, room and day match
// every part it names. Placing a hold and destroying a subject's keys take one advisory lock, so an
// erasure either sees a hold placed before it or runs wholly before the hold is placed.
import type pg from 'pg';
import { inTransaction } from '../db/transaction.ts';
import type { HoldScope, SparedScope } from '../domain/events.ts';
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

/** the active holds that can cover a room's keys: on that room, or on no room */
const HOLDS_OVER_ROOM = `
SELECT user_id, to_char(from_day, 'YYYY-MM-DD') AS from_day, to_char(to_day, 'YYYY-MM-DD') AS to_day
FROM privacy_legal_holds WHERE released_at IS NULL AND (room_id IS NULL OR room_id = $1)
ORDER BY hold_id`;

const ROOM_KEYS_BEFORE = (destroy: boolean) => `
${destroy ? 'UPDATE privacy_data_keys k SET wrapped = NULL, master_key_id = NULL, destroyed_at = now()' : 'SELECT k.key_id FROM privacy_data_keys k'}
WHERE k.destroyed_at IS NULL AND k.room_id = $1 AND k.day < $2::date
  AND NOT EXISTS (SELECT 1 FROM privacy_legal_holds h WHERE ${COVERED_BY('h', 'k')})
${destroy ? 'RETURNING k.key_id' : ''}`;

const HELD_ROOM_KEYS_BEFORE = `
SELECT count(*)::int AS n FROM privacy_data_keys k
WHERE k.destroyed_at IS NULL AND k.room_id = $1 AND k.day < $2::date
  AND EXISTS (SELECT 1 FROM privacy_legal_holds h WHERE ${COVERED_BY('h', 'k')})`;

/** what retention would destroy in a room: the live keys of days before the cutoff that no hold covers */
export type RoomKeySelection = {
  readonly keys: number;
  /** live keys of those days that holds keep */
  readonly heldKeys: number;
  /** the scopes of the holds that can cover this room's keys: the read models spare what they cover */
  readonly spared: SparedScope[];
};

export type SubjectDestruction =
  | { readonly heldBy: string[] }
  | { readonly destroyed: (KeyScope & { keyId: string })[] };

export type LegalHolds = {
  place(holdId: string, scope: HoldScope): Promise<void>;
  /** false when there was no active hold of that id */
  release(holdId: string): Promise<boolean>;
  /** every key of the subject, unless a hold covers any of them: then nothing, and the holds */
  destroySubjectUnlessHeld(subjectId: string): Promise<SubjectDestruction>;
  /**
   * selects a room's keys of the days before `cutoff` that no hold covers; with `destroy`, runs it with
   * the selection (under the lock, so no hold is placed meanwhile) and then destroys exactly those keys
   */
  roomKeysBefore(
    roomId: string,
    cutoff: string,
    destroy?: (selection: RoomKeySelection) => Promise<void>,
  ): Promise<RoomKeySelection>;
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
    roomKeysBefore: (roomId, cutoff, destroy) =>
      locked(async (client) => {
        const holds = await client.query<{
          user_id: string | null;
          from_day: string | null;
          to_day: string | null;
        }>(HOLDS_OVER_ROOM, [roomId]);
        const keys = await client.query(ROOM_KEYS_BEFORE(false), [roomId, cutoff]);
        const held = await client.query<{ n: number }>(HELD_ROOM_KEYS_BEFORE, [roomId, cutoff]);
        const selection: RoomKeySelection = {
          keys: keys.rowCount ?? 0,
          heldKeys: held.rows[0]!.n,
          spared: holds.rows.map((row) => ({ userId: row.user_id, from: row.from_day, to: row.to_day })),
        };
        if (destroy && selection.keys > 0) {
          await destroy(selection);
          await client.query(ROOM_KEYS_BEFORE(true), [roomId, cutoff]);
        }
        return selection;
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
