// Exactly once under crashes: the runner runs in a child process that is killed (SIGKILL) in the middle
// of a batch (writes done, not committed) and between batches (committed, not yet published). After a
// restart the read models must equal a clean build from position 0, row for row.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodePosition } from '../../src/eventstore/eventStore.ts';
import { readCheckpoint } from '../../src/projections/checkpoints.ts';
import { chatWorkload } from './support/chatWorkload.ts';
import {
  appendEvents,
  buildReferenceGeneration,
  closeProjectionTestContext,
  createProjectionTestContext,
  type ProjectionTestContext,
  snapshotReadModels,
  waitForProjection,
} from './support/readModels.ts';

// these drive whole rebuilds and child processes: generous limits for a loaded 2-core machine
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const RUNNER = fileURLToPath(new URL('./support/runnerProcess.ts', import.meta.url));
const BATCH = 100;

let context: ProjectionTestContext;
let lastPosition: string;
beforeAll(async () => {
  context = await createProjectionTestContext('projections_crash');
  lastPosition = await appendEvents(context.eventStore, [...chatWorkload(1_500, { rooms: 20, users: 30 })]);
});
afterAll(() => closeProjectionTestContext(context));

function startRunner(crash?: string): ChildProcess {
  return spawn(NODE, [RUNNER], {
    env: {
      ...process.env,
      DATABASE_URL: context.database.url,
      PROJECTION_BATCH_SIZE: String(BATCH),
      PROJECTION_CRASH: crash ?? '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function positionOfEvent(index: number): Promise<string> {
  const events = await context.eventStore.readAll({ limit: index });
  return encodePosition(events.at(-1)!.position);
}

describe('projection runner under crashes', () => {
  it('rolls back a batch killed before its commit and resumes after the last committed one', async () => {
    const child = startRunner('before-commit:3');
    const [, signal] = await once(child, 'exit');
    expect(signal).toBe('SIGKILL');
    const live = (await readCheckpoint(context.pool, 'chat'))!;
    expect(live.position).toBe(await positionOfEvent(2 * BATCH));
    expect(Number(live.events_processed)).toBe(2 * BATCH);
  });

  it('keeps a batch killed after its commit, and does not apply it twice', async () => {
    const child = startRunner('after-commit:2');
    const [, signal] = await once(child, 'exit');
    expect(signal).toBe('SIGKILL');
    const live = (await readCheckpoint(context.pool, 'chat'))!;
    expect(live.position).toBe(await positionOfEvent(4 * BATCH));
  });

  it('ends, after restarts, with read models identical to a clean build from position 0', async () => {
    const child = startRunner();
    await once(child.stdout!, 'data');
    await waitForProjection(context.pool, lastPosition);
    child.kill('SIGTERM');
    await once(child, 'exit');

    const live = (await readCheckpoint(context.pool, 'chat'))!;
    expect(Number(live.events_processed)).toBe(1_500);
    const reference = await buildReferenceGeneration(context.pool, context.eventStore);
    const [projected, rebuilt] = [
      await snapshotReadModels(context.pool),
      await snapshotReadModels(context.pool, reference),
    ];
    expect(projected.messages!.length).toBeGreaterThan(1_000);
    for (const table of Object.keys(rebuilt))
      expect({ table, rows: projected[table] }).toEqual({ table, rows: rebuilt[table] });
  });
});
