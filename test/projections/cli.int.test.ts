// `npm run chat -- projections status|rebuild [name]`, run as the ops would: a separate process on a database
// with events and no server running (so the CLI projects the rebuild itself).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckpointRow, readCheckpoint } from '../../src/projections/checkpoints.ts';
import { type ProjectionsHandle, startProjections } from '../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { chatWorkload } from './support/chatWorkload.ts';
import {
  appendEvents,
  closeProjectionTestContext,
  createProjectionTestContext,
  type ProjectionTestContext,
  snapshotReadModels,
  waitForProjection,
} from './support/readModels.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = promisify(execFile);

let context: ProjectionTestContext;
beforeAll(async () => {
  context = await createProjectionTestContext('projections_cli');
  const runner: ProjectionsHandle = await startProjections({
    pool: context.pool,
    projections: PROJECTIONS,
    eventStore: context.eventStore,
    publisher: { publish: async () => {} },
  });
  await waitForProjection(
    context.pool,
    await appendEvents(context.eventStore, [...chatWorkload(600, { rooms: 10, users: 20 })]),
  );
  await runner.stop();
});
afterAll(() => closeProjectionTestContext(context));

const chat = (...args: string[]) =>
  run(NODE, [CLI, ...args], { env: { ...process.env, DATABASE_URL: context.database.url } });

describe('projections CLI', () => {
  it('shows the position, head, lag and state', async () => {
    const { stdout } = await chat('projections', 'status', '--json');
    const [status] = JSON.parse(stdout);
    expect(status).toMatchObject({ name: 'chat', state: 'stopped', lag: 0, rebuild: null });
    expect(status.position).toBe(status.head);
  });

  it('rebuilds with one command into a new generation with the same rows', async () => {
    const before = await readCheckpoint(context.pool, 'chat');
    const rows = await snapshotReadModels(context.pool);
    const { stdout } = await chat('projections', 'rebuild');
    expect(stdout).toMatch(/rebuilt in [\d.]+ s; live generation chat_read_g\d+/);
    const after = await readCheckpoint(context.pool, 'chat');
    expect(after!.generation).not.toBe(before!.generation);
    expect(after!.position).toBe(before!.position);
    expect(await snapshotReadModels(context.pool)).toEqual(rows);
  });

  it('rebuilds one named projection alone: the others keep their generation', async () => {
    const checkpoints = async () =>
      Object.fromEntries(
        await Promise.all(
          PROJECTIONS.map(async (projection) => [
            projection.name,
            await readCheckpoint(context.pool, projection.name),
          ]),
        ),
      );
    const before = await checkpoints();
    const rows = await snapshotReadModels(context.pool);
    expect(rows.reports!.length + rows.user_blocks!.length).toBeGreaterThan(0); // safety has rows to rebuild
    const { stdout } = await chat('projections', 'rebuild', 'safety');
    expect(stdout).toMatch(/safety: rebuilt in [\d.]+ s; live generation safety_read_g\d+/);
    expect(stdout).not.toMatch(/^(chat|search):/m);
    const after = await checkpoints();
    expect(after.safety!.generation).not.toBe(before.safety!.generation);
    expect(after.safety!.position).toBe(before.safety!.position);
    const kept = (row: CheckpointRow) => [row.generation, row.version, row.position, row.events_processed];
    for (const name of ['chat', 'search'])
      expect({ name, kept: kept(after[name]!) }).toEqual({ name, kept: kept(before[name]!) });
    expect(await snapshotReadModels(context.pool)).toEqual(rows);
  });

  it('refuses an unknown command or projection with usage', async () => {
    await expect(chat('projections', 'rebuild', 'nope')).rejects.toMatchObject({ code: 2 });
    await expect(chat('projections')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage'),
    });
  });
});
