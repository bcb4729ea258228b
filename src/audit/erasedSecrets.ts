// An erasure's part in the audit log (docs/privacy.md, docs/audit.md "Exports and erasure"): the events
// whose personal fields were the erased person's lose their secret, so no export reveals a salt of them
// again and a commitment of a short text ("ok") cannot be tested against guesses. The leaves, and every
// proof over them, stay as they are. An event with several people's fields (a RoomCreated's usernames)
// loses its one secret too: its other names are shown erased in exports from then on.
import type pg from 'pg';

export async function destroyLeafSecrets(pool: pg.Pool, eventIds: readonly string[]): Promise<number> {
  if (eventIds.length === 0) return 0;
  const { rowCount } = await pool.query(
    'UPDATE audit_leaves SET secret = NULL WHERE event_id = ANY($1::text[]) AND secret IS NOT NULL',
    [eventIds],
  );
  return rowCount ?? 0;
}
