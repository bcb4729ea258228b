// `npm run bench -- commands [--seconds N] [--rooms N]`: SendMessage through the whole write path (load the
// room, or take it from the state cache without a read; decide; append conditioned on the room's revision)
// on the PostgreSQL event store: messages/s with 1, 16 and 64 concurrent senders, with and without the
// in-process state cache, with and without client_id. Own database, dropped at the end.
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { CommandContext } from '../src/commands/context.ts';
import { createRoom } from '../src/commands/createRoom.ts';
import { sendMessage } from '../src/commands/sendMessage.ts';
import { createStateCache, type StateCache } from '../src/commands/stateCache.ts';
import { migrate } from '../src/db/migrate.ts';
import type { EventStore } from '../src/eventstore/eventStore.ts';
import { createPostgresEventStore } from '../src/eventstore/postgres/postgresEventStore.ts';
import { createTestDatabase } from '../test/support/database.ts';

const POOL_SIZE = 16;
const MEMBERS = 20;

type Variant = { name: string; cache: boolean; clientId: boolean };
const VARIANTS: Variant[] = [
  { name: 'no cache', cache: false, clientId: false },
  { name: 'state cache', cache: true, clientId: false },
  { name: 'state cache + client_id', cache: true, clientId: true },
];

async function measure(
  store: EventStore,
  roomIds: string[],
  senders: number,
  seconds: number,
  variant: Variant,
): Promise<number> {
  const stateCache: StateCache | undefined = variant.cache ? createStateCache() : undefined;
  const deadline = Date.now() + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: senders }, async (_, sender) => {
      const roomId = roomIds[sender % roomIds.length]!;
      const ctx: CommandContext = {
        eventStore: store,
        actor: { userId: `user-${sender % MEMBERS}`, roles: [] },
        stateCache,
      };
      for (let n = 0; Date.now() < deadline; n++) {
        const clientId = variant.clientId ? `${variant.name}-${sender}-${n}` : undefined;
        await sendMessage(ctx, { roomId, content: 'Meeting moved to 3pm, bring the keys', clientId });
        sent++;
      }
    }),
  );
  return sent / seconds;
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { seconds: { type: 'string', default: '5' }, rooms: { type: 'string', default: '16' } },
  });
  const seconds = Number(values.seconds);
  const database = await createTestDatabase('bench_commands');
  const pool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
  const store = createPostgresEventStore({ pool });
  try {
    await migrate(database.url);
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model}), PostgreSQL ${rows[0]!.server_version}, node ${process.version}`,
    );
    const owner: CommandContext = { eventStore: store, actor: { userId: 'user-0', roles: [] } };
    const others = Array.from({ length: MEMBERS - 1 }, (_, i) => `user-${i + 1}`);
    const roomIds: string[] = [];
    for (let i = 0; i < Number(values.rooms); i++) {
      roomIds.push(
        (await createRoom(owner, { roomType: 'group', name: `room ${i}`, participantIds: others })).roomId,
      );
    }
    console.log(
      `\nSendMessage: messages/s over ${roomIds.length} rooms of ${MEMBERS} members, ${seconds} s each, pool ${POOL_SIZE}`,
    );
    console.log(`| senders | ${VARIANTS.map((v) => v.name).join(' | ')} |`);
    console.log(`|---:|${VARIANTS.map(() => '---:').join('|')}|`);
    for (const senders of [1, 16, 64]) {
      const rates: string[] = [];
      for (const variant of VARIANTS) {
        rates.push(Math.round(await measure(store, roomIds, senders, seconds, variant)).toLocaleString('en'));
      }
      console.log(`| ${senders} | ${rates.join(' | ')} |`);
    }
  } finally {
    await store.close();
    await pool.end();
    await database.drop();
  }
}
