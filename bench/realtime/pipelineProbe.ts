// Where the realtime latency goes, without any WebSocket: SendMessage at a fixed rate into 100 rooms (the
// write path, up to the ack) and the projector's batch cycle (commit to commit), the two stages every
// delivered frame waits for before Redis and the sockets.
// Run: node bench/realtime/pipelineProbe.ts [rate msg/s, default 1000] [seconds, default 4]
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { CommandContext } from '../../src/commands/context.ts';
import { createRoom } from '../../src/commands/createRoom.ts';
import { sendMessage } from '../../src/commands/sendMessage.ts';
import { createStateCache } from '../../src/commands/stateCache.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/postgresEventStore.ts';
import { discardChanges } from '../../src/projections/changeFeed.ts';
import { startProjections } from '../../src/projections/projectionRunner.ts';
import { PROJECTIONS } from '../../src/projections/registry.ts';
import { createTestDatabase } from '../../test/support/database.ts';

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 4);
const database = await createTestDatabase('pipeline_probe');
await migrate(database.url);
const pool = new pg.Pool({ connectionString: database.url, max: 10 });
const eventStore = createPostgresEventStore({ pool });
const stateCache = createStateCache();
const as = (userId: string): CommandContext => ({ eventStore, actor: { userId, roles: [] }, stateCache });

const cycles: { events: number; ms: number }[] = [];
let lastCommit = performance.now();
const projections = await startProjections({
  pool,
  eventStore,
  projections: PROJECTIONS,
  publisher: discardChanges,
  hooks: {
    afterCommit: (batch) => {
      const now = performance.now();
      cycles.push({ events: batch.events, ms: now - lastCommit });
      lastCommit = now;
    },
  },
});

const users = Array.from({ length: 10 }, () => randomUUID());
const rooms: string[] = [];
for (let i = 0; i < 100; i++) {
  rooms.push(
    (await createRoom(as(users[0]!), { roomType: 'group', name: 'probe', participantIds: users.slice(1) }))
      .roomId,
  );
}
await new Promise((resolve) => setTimeout(resolve, 2_000));
cycles.length = 0;

const acks: number[] = [];
const sends: Promise<void>[] = [];
const start = performance.now();
let sent = 0;
while (performance.now() - start < seconds * 1000) {
  const due = Math.floor(((performance.now() - start) / 1000) * rate) - sent;
  for (let n = 0; n < due; n++) {
    const index = sent++;
    const at = performance.now();
    const send = sendMessage(as(users[index % 10]!), {
      roomId: rooms[index % 100]!,
      content: `probe ${index}`,
    });
    sends.push(send.then(() => void acks.push(performance.now() - at)));
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await Promise.all(sends);
await new Promise((resolve) => setTimeout(resolve, 2_000));

const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length * q)]?.toFixed(1);
const events = cycles.reduce((sum, cycle) => sum + cycle.events, 0);
console.log(
  JSON.stringify({
    rate,
    ack_p50_ms: quantile(acks, 0.5),
    ack_p99_ms: quantile(acks, 0.99),
    projector_batches: cycles.length,
    events_per_batch: (events / cycles.length).toFixed(1),
    batch_cycle_p50_ms: quantile(
      cycles.map((cycle) => cycle.ms),
      0.5,
    ),
    batch_cycle_p99_ms: quantile(
      cycles.map((cycle) => cycle.ms),
      0.99,
    ),
  }),
);
await projections.stop();
await eventStore.close();
await pool.end();
await database.drop();
