// The safety projection: reports, bounced writes and block lists, from the block, report and bounce
// streams. Small batches of
// rare events, so no row cache and no bulk load: a rebuild goes batch by batch.
import { BatchWrites, loadRows } from '../batchSql.ts';
import type { Projection } from '../projection.ts';
import {
  applySafetyEvent,
  blockKey,
  emptySafetyBatch,
  isSafetyProjectedEvent,
  SAFETY_PROJECTED_TYPES,
  type SafetyBatch,
  type SafetyEvent,
} from './applySafetyEvent.ts';
import type { ReportRow, UserBlockRow } from './rows.ts';
import { SAFETY_INDEXES_SQL, SAFETY_TABLES, SAFETY_TABLES_SQL } from './schema.ts';

export const SAFETY_PROJECTION = 'safety';

export const safetyProjection: Projection = {
  name: SAFETY_PROJECTION,
  // 2: bounced writes (MessageBounced)
  version: 2,
  readSchema: 'safety_read',
  tables: SAFETY_TABLES,
  tablesSql: SAFETY_TABLES_SQL,
  indexesSql: SAFETY_INDEXES_SQL,
  handles: isSafetyProjectedEvent,
  eventTypes: SAFETY_PROJECTED_TYPES,
  // block lists and the report queue are read on their own pages, not live: a fifth of a second is soon
  maxLagMs: 200,

  async projectBatch(client, schema, events) {
    const batch = emptySafetyBatch();
    const reportIds = new Set<string>();
    const blocks = new Map<string, [string, string]>();
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as SafetyEvent;
      if (event.type === 'MessageBounced') continue;
      if (event.type === 'UserBlocked' || event.type === 'UserUnblocked') {
        const { userId, blockedUserId } = event.data;
        blocks.set(blockKey(userId, blockedUserId), [userId, blockedUserId]);
      } else {
        reportIds.add(event.data.reportId);
      }
    }
    await loadRows<ReportRow>(
      client,
      `${schema}.reports`,
      ['id'],
      [...reportIds].map((id) => [id]),
      batch.reports,
      (report) => report.id,
    );
    await loadRows<UserBlockRow>(
      client,
      `${schema}.user_blocks`,
      ['user_id', 'blocked_user_id'],
      [...blocks.values()],
      batch.blocks,
      (block) => blockKey(block.user_id, block.blocked_user_id),
    );
    for (const event of events) applySafetyEvent(batch, event);
    await writeSafetyBatch(client, schema, batch);
    return { feed: [], notices: [] };
  },
};

async function writeSafetyBatch(
  client: Parameters<BatchWrites['run']>[0],
  schema: string,
  batch: SafetyBatch,
): Promise<void> {
  const unblocked = [...batch.changedBlocks].filter((key) => batch.blocks.get(key) === null);
  if (unblocked.length > 0) {
    await client.query(
      `DELETE FROM ${schema}.user_blocks WHERE (user_id, blocked_user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [unblocked.map((key) => key.split('|')[0]), unblocked.map((key) => key.split('|')[1])],
    );
  }
  const writes = new BatchWrites(schema);
  writes.insert(
    'reports',
    [...batch.changedReports].map((id) => batch.reports.get(id)!),
    ['id'],
  );
  writes.insert(
    'user_blocks',
    [...batch.changedBlocks].flatMap((key) => batch.blocks.get(key) ?? []),
    ['user_id', 'blocked_user_id'],
  );
  writes.insert('bounces', batch.bounces, ['id']);
  await writes.run(client);
}
