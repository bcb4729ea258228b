// What a RetentionApplied does to the chat read model (docs/privacy.md, "Retention"): the rows of the
// room written before the cutoff and not spared by a hold lose their text in place. Shred: a message whose
// current version was written then reads as erased, an attachment sent then loses its file name, and
// each edit-history row whose text was written then is blanked (a row holds the version before that edit,
// written on the previous edit's day, or the send's). Delete: a message sent then reads as deleted, with
// its edit history gone, as after MessageDeleted (and erased as well when its current version's key went:
// what a rebuild, reading that version as null, makes of it too).
import type pg from 'pg';
import type { RetentionApplied } from '../../domain/events.ts';
import { pastRetention, retentionParameters, utcDay } from '../retentionParts.ts';

const P = ['$2', '$3'] as const;
const past = (user: string, timestamp: string) => pastRetention(user, utcDay(timestamp), ...P);

/** the message's current version was written before the cutoff, unspared: its key goes */
const CURRENT_VERSION_PAST = past('m.sender_id', 'coalesce(m.edited_at, m.created_at)');
const SHRED_WHERE = `m.room_id = $1 AND NOT m.is_erased AND NOT m.is_deleted AND ${CURRENT_VERSION_PAST}`;
const DELETE_WHERE = `m.room_id = $1 AND NOT m.is_deleted AND ${past('m.sender_id', 'm.created_at')}`;

const SHRED = (s: string) => [
  `UPDATE ${s}.messages m SET content = '', is_erased = true WHERE ${SHRED_WHERE}`,
  `UPDATE ${s}.messages m SET attachment = jsonb_set(m.attachment, '{file_name}', '""')
   WHERE m.room_id = $1 AND m.attachment IS NOT NULL AND m.attachment->>'file_name' <> ''
     AND ${past('m.sender_id', 'm.created_at')}`,
  `UPDATE ${s}.message_edits e SET content = ''
   FROM (SELECT e2.message_id, e2.edit_no, m.sender_id,
           coalesce(lag(e2.edited_at) OVER (PARTITION BY e2.message_id ORDER BY e2.edit_no), m.created_at)
             AS written_at
         FROM ${s}.message_edits e2 JOIN ${s}.messages m ON m.id = e2.message_id WHERE m.room_id = $1) v
   WHERE e.message_id = v.message_id AND e.edit_no = v.edit_no AND e.content <> ''
     AND ${past('v.sender_id', 'v.written_at')}`,
];

// every statement takes the three parameters (PostgreSQL refuses one it cannot type): the last, $2 and $3
// in a condition that is always true
const DELETE = (s: string) => [
  `UPDATE ${s}.messages m SET content = '', attachment = NULL, is_deleted = true,
     is_erased = m.is_erased OR (${CURRENT_VERSION_PAST})
   WHERE ${DELETE_WHERE}`,
  `DELETE FROM ${s}.message_edits e USING ${s}.messages m
   WHERE e.message_id = m.id AND m.room_id = $1 AND m.is_deleted
     AND ($2::text IS NOT NULL OR $3::jsonb IS NOT NULL)`,
];

type Selection = Pick<RetentionApplied['data'], 'roomId' | 'cutoff' | 'mode' | 'spared'>;

export async function applyRetentionRows(client: pg.ClientBase, schema: string, data: Selection) {
  for (const sql of data.mode === 'shred' ? SHRED(schema) : DELETE(schema)) {
    await client.query(sql, retentionParameters(data));
  }
}

/** how many messages a run with this selection takes away (a dry run's report, and the run's event) */
export async function countRetainedMessages(
  client: pg.ClientBase | pg.Pool,
  schema: string,
  data: Selection,
): Promise<number> {
  const where = data.mode === 'shred' ? SHRED_WHERE : DELETE_WHERE;
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${schema}.messages m WHERE ${where}`,
    retentionParameters(data),
  );
  return rows[0]!.n;
}
