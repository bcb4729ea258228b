// Rebuilds and leadership: a rebuild under concurrent writes swaps in a generation identical to a clean
// build, reads keep working meanwhile, every frame is published once; a new projection version rebuilds
// on start by itself; only one runner projects and a standby takes over. The bulk (chat/bulkRebuild.ts)
// commits in short transactions: the live projector goes on delivering while it folds, and a bulk that
// fails half-way, with rows of its own committed, starts again from empty tables. The messages it spills
// to files are sealed there, and the files removed.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { encodePosition } from '../../src/eventstore/eventStore.ts';
import type { FeedEntry } from '../../src/projections/changeFeed.ts';
import { chatProjection } from '../../src/projections/chat/chatProjection.ts';
import { listMessages } from '../../src/projections/chat/queries/messages.ts';
import { listRoomsForUser } from '../../src/projections/chat/queries/rooms.ts';
import { readCheckpoint, requestRebuild } from '../../src/projections/checkpoints.ts';
import {
  type ProjectionsHandle,
  type ProjectionsOptions,
  startProjections,
} from '../../src/projections/projectionRunner.ts';
import { projectionStatus } from '../../src/projections/projectionStatus.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { waitForPosition } from '../../src/projections/waitForPosition.ts';
import { chatWorkload, type WorkloadEvent } from './support/chatWorkload.ts';
import {
  appendEvents,
  buildReferenceGeneration,
  closeProjectionTestContext,
  createProjectionTestContext,
  dropReferenceGeneration,
  type ProjectionTestContext,
  snapshotReadModels,
  until,
  waitForProjection,
} from './support/readModels.ts';

// these drive whole rebuilds and child processes: generous limits for a loaded 2-core machine
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

let context: ProjectionTestContext;
const workload: WorkloadEvent[] = [...chatWorkload(7_500, { rooms: 30, users: 40, seed: 7 })];
beforeAll(async () => {
  context = await createProjectionTestContext('projections_rebuild');
});
afterAll(() => closeProjectionTestContext(context));

function start(
  published: FeedEntry[],
  options: Partial<ProjectionsOptions> = {},
): Promise<ProjectionsHandle> {
  return startProjections({
    pool: context.pool,
    projections: PROJECTIONS,
    eventStore: context.eventStore,
    publisher: { publish: async (entries) => void published.push(...entries) },
    batchSize: 100,
    rebuildBatchSize: 300,
    // far below the workload's messages: rebuilds here spill the final ones to files as big stores do
    rebuildRowsInMemory: 200,
    retryMs: 100,
    ...(process.env.PROJECTION_TEST_LOG ? { logger: pino(pino.destination(2)) } : {}),
    ...options,
  });
}

async function expectIdenticalToCleanBuild() {
  const reference = await buildReferenceGeneration(context.pool, context.eventStore);
  const [live, rebuilt] = [
    await snapshotReadModels(context.pool),
    await snapshotReadModels(context.pool, reference),
  ];
  for (const table of Object.keys(rebuilt))
    expect({ table, rows: live[table] }).toEqual({ table, rows: rebuilt[table] });
  // the membership windows compared include stays that ended and users who came back
  const windows = live.membership_windows as { room_id: string; user_id: string; to_seq: number | null }[];
  const stays = Map.groupBy(windows, (window) => `${window.room_id}|${window.user_id}`);
  expect(windows.some((window) => window.to_seq !== null)).toBe(true);
  expect([...stays.values()].some((userStays) => userStays.length > 1)).toBe(true);
  await dropReferenceGeneration(context.pool, reference);
}

/** every stored feed entry, as (room, seq, position, type), in room and seq order */
async function storedFeed(): Promise<[string, number, string, string][]> {
  const { rows } = await context.pool.query(
    `SELECT room_id, seq, position, frame->>'type' AS type FROM chat_read.room_feed ORDER BY room_id, seq`,
  );
  return rows.map((row) => [row.room_id, row.seq, row.position, row.type]);
}
const shapes = (entries: FeedEntry[]) =>
  [...entries]
    .sort((a, b) => a.roomId.localeCompare(b.roomId) || a.seq - b.seq)
    .map((entry): [string, number, string, string] => [
      entry.roomId,
      entry.seq,
      entry.position,
      entry.frame.type,
    ]);

describe('projection rebuild', () => {
  it('rebuilds under concurrent writes, keeps reads working, swaps in identical read models', async () => {
    const published: FeedEntry[] = [];
    const runner = await start(published);
    await waitForProjection(context.pool, await appendEvents(context.eventStore, workload.slice(0, 2_000)));
    const before = (await readCheckpoint(context.pool, 'chat'))!.generation;
    const member = (workload[0]!.event.data as { createdBy: string }).createdBy;

    // a writer that keeps appending until shortly after the swap
    let swapped = false;
    let writtenAfterSwap = 0;
    const writer = (async () => {
      let last = '0';
      for (const item of workload.slice(2_000, 5_000)) {
        last = await appendEvents(context.eventStore, [item]);
        if (swapped && ++writtenAfterSwap === 50) break;
      }
      return last;
    })();
    // readers that keep querying several views at once through the swap: none may fail
    const readers = Array.from({ length: 3 }, async () => {
      let reads = 0;
      while (!swapped) {
        const { rooms } = await listRoomsForUser(context.pool, member, { limit: 5 });
        await listMessages(context.pool, rooms[0]!.id, member, { limit: 20 });
        reads += 1;
      }
      return reads;
    });
    expect(await requestRebuild(context.pool, chatProjection)).toBe(true);
    let readsDuringRebuild = 0;
    let sawProgress = false;
    try {
      await until(async () => {
        const { rooms } = await listRoomsForUser(context.pool, member, { limit: 5 });
        expect(rooms.length).toBeGreaterThan(0); // the old generation answers until the swap
        readsDuringRebuild += 1;
        const [status] = await projectionStatus(context.pool, context.eventStore, PROJECTIONS);
        if (status!.rebuild && status!.rebuild.progress > 0) sawProgress = true;
        return (await readCheckpoint(context.pool, 'chat:rebuild')) === null;
      }, 'the rebuild to swap in');
      swapped = true;
      for (const reads of await Promise.all(readers)) expect(reads).toBeGreaterThan(0);
      await waitForProjection(context.pool, await writer);
    } finally {
      await runner.stop();
    }
    expect(writtenAfterSwap).toBe(50); // the writes went on through the swap
    const after = (await readCheckpoint(context.pool, 'chat'))!.generation;
    expect(after).not.toBe(before);
    expect(readsDuringRebuild).toBeGreaterThan(1);
    expect(sawProgress).toBe(true);
    const { rows } = await context.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [before]);
    expect(rows).toEqual([]); // the old generation is dropped
    await expectIdenticalToCleanBuild();
    // realtime got every change exactly once: nothing lost or repeated across the swap
    expect(shapes(published)).toEqual(await storedFeed());
  });

  it('rebuilds a projection whose version changed on start, publishing only what was never published', async () => {
    const published: FeedEntry[] = [];
    const livePosition = (await readCheckpoint(context.pool, 'chat'))!.position;
    const last = await appendEvents(context.eventStore, workload.slice(5_000, 5_500));
    // as if the stored read models came from an older version of the code
    await context.pool.query(`UPDATE projection_checkpoints SET version = version - 1 WHERE name = 'chat'`);
    const runner = await start(published);
    try {
      await until(
        async () => (await readCheckpoint(context.pool, 'chat'))!.version === chatProjection.version,
        'the new version to swap in',
      );
      await waitForProjection(context.pool, last);
    } finally {
      await runner.stop();
    }
    await expectIdenticalToCleanBuild();
    const unpublished = (await storedFeed()).filter(([, , position]) => position > livePosition);
    expect(unpublished.length).toBeGreaterThan(400);
    expect(shapes(published)).toEqual(unpublished);
  });
});

describe('projection leadership', () => {
  it('lets one runner project while another stands by, and the standby takes over', async () => {
    const [first, second] = [await start([]), await start([])];
    onTestFinished(async () => {
      await first.stop();
      await second.stop();
    });
    await until(async () => [first, second].some((r) => r.status()[0]!.state === 'running'), 'a leader');
    const [leader, standby] = first.status()[0]!.state === 'running' ? [first, second] : [second, first];
    await until(async () => standby.status()[0]!.state === 'standby', 'a standby');

    await waitForProjection(
      context.pool,
      await appendEvents(context.eventStore, workload.slice(5_500, 5_700)),
    );
    await leader.stop();
    await until(async () => standby.status()[0]!.state === 'running', 'the standby to take over');
    await waitForProjection(
      context.pool,
      await appendEvents(context.eventStore, workload.slice(5_700, 6_000)),
    );
    await standby.stop();
    await expectIdenticalToCleanBuild();
  });
});

describe('bulk rebuild in short transactions', () => {
  /** Once the live projector has `caughtUpTo`, a bulk rebuild beside it of many pages and transactions. */
  async function rebuildToTheSwap(
    caughtUpTo: string,
    published: FeedEntry[],
    afterBulkPage: NonNullable<ProjectionsOptions['hooks']>['afterBulkPage'],
    options: Partial<ProjectionsOptions> = {},
  ) {
    const runner = await start(published, {
      rebuildBatchSize: 100,
      // a transaction for every few dozen rows: the bulk commits often even on this small store
      rebuildTransactionBytes: 8_192,
      hooks: { afterBulkPage },
      ...options,
    });
    try {
      await waitForProjection(context.pool, caughtUpTo);
      expect(await requestRebuild(context.pool, chatProjection)).toBe(true);
      await until(async () => (await readCheckpoint(context.pool, 'chat:rebuild')) === null, 'the swap');
    } finally {
      await runner.stop();
    }
  }

  it('lets the live projector deliver new events while the bulk folds', async () => {
    const before = await appendEvents(context.eventStore, workload.slice(6_000, 7_000));
    const published: FeedEntry[] = [];
    let during: { delivered: boolean; rebuildPosition?: string; appended: string } | undefined;
    await rebuildToTheSwap(before, published, async (page) => {
      if (page.projection !== 'chat' || page.number !== 10 || during) return;
      // a seventh of the way into the bulk: what is sent now must reach live readers before it ends
      const appended = await appendEvents(context.eventStore, workload.slice(7_000, 7_050));
      const delivered = await waitForPosition(context.pool, appended, 20_000, 'chat');
      const rebuild = await readCheckpoint(context.pool, 'chat:rebuild');
      during = { delivered, rebuildPosition: rebuild?.position, appended };
    });

    expect(during).toMatchObject({ delivered: true, rebuildPosition: '0' });
    // and published to realtime, as the sockets get it
    const deliveredFrames = published.filter(
      (entry) => entry.position > before && entry.position <= during!.appended,
    );
    expect(deliveredFrames.length).toBeGreaterThan(0);
    await expectIdenticalToCleanBuild();
  });

  it('starts a bulk that failed half-way again from empty tables and swaps in the same rows', async () => {
    const last = await appendEvents(context.eventStore, workload.slice(7_050));
    let failed: { schema: string; committedFeedRows: number } | undefined;
    await rebuildToTheSwap(last, [], async (page) => {
      if (page.projection !== 'chat' || page.number !== 25 || failed) return;
      const schema = (await readCheckpoint(context.pool, 'chat:rebuild'))!.schema_name!;
      const { rows } = await context.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${schema}.room_feed`,
      );
      failed = { schema, committedFeedRows: rows[0]!.n };
      throw new Error('the bulk dies half-way');
    });

    // it had committed rows of its own, and the retry loaded the same generation again
    expect(failed!.committedFeedRows).toBeGreaterThan(0);
    expect((await readCheckpoint(context.pool, 'chat'))!.generation).toBe(failed!.schema);
    await expectIdenticalToCleanBuild();
  });

  it('spills final messages to files that hold none of their text in clear, and removes them', async () => {
    const spillDirectory = await mkdtemp(join(tmpdir(), 'rebuild-spill-test-'));
    onTestFinished(() => rm(spillDirectory, { recursive: true, force: true }));
    /** every spilled file's bytes so far (the bulk's own directory is made inside spillDirectory) */
    const spilled = async () => {
      const files = await readdir(spillDirectory, { recursive: true, withFileTypes: true });
      const contents = await Promise.all(
        files.filter((file) => file.isFile()).map((file) => readFile(join(file.parentPath, file.name))),
      );
      return Buffer.concat(contents);
    };
    let seen: { bytes: number; inClear: boolean } | undefined;
    const head = encodePosition((await context.eventStore.headPosition())!);
    await rebuildToTheSwap(
      head,
      [],
      async (page) => {
        if (page.projection !== 'chat' || seen) return;
        const bytes = await spilled();
        // every message of the workload says "lorem ipsum", and names its sender
        if (bytes.length > 0) seen = { bytes: bytes.length, inClear: bytes.includes('lorem ipsum') };
      },
      { rebuildSpillDirectory: spillDirectory },
    );

    expect(seen).toMatchObject({ inClear: false });
    expect(seen!.bytes).toBeGreaterThan(10_000);
    expect(await readdir(spillDirectory)).toEqual([]);
    await expectIdenticalToCleanBuild();
  });
});
