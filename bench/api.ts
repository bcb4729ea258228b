// `npm run bench -- api [--seconds 4] [--concurrency 1,16,64]`: the REST write path end to end over real
// HTTP (auth, validation, command, append, answer), and how long read-your-writes takes: from a send's
// answer until GET ?wait_for=<position> returns the message. Uses a fresh database; the projector runs.
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { buildApp, startAppProjections } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrate.ts';
import { createTestDatabase, testRedisPrefix } from '../test/support/database.ts';
import { mintToken, TEST_JWT_SECRET } from '../test/support/tokens.ts';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const ms = (value: number) => value.toFixed(1);

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '1,16,64' },
    },
  });
  const seconds = Number(values.seconds);
  const levels = values.concurrency.split(',').map(Number);

  const database = await createTestDatabase('bench_api');
  await migrate(database.url);
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_PREFIX: testRedisPrefix('bench_api'),
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    ATTACHMENTS_DIR: `/tmp/bench-api-${randomUUID()}`,
    LOG_LEVEL: 'silent',
  });
  const app = await buildApp(config);
  const projections = await startAppProjections(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const users = await Promise.all(Array.from({ length: 16 }, () => randomUUID()));
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });
    const tokens = await Promise.all(users.map((user) => mintToken(user)));
    const created = await fetch(`${base}/api/chat/rooms/`, {
      method: 'POST',
      headers: headers(tokens[0]!),
      body: JSON.stringify({ name: 'bench', room_type: 'group', participant_ids: users.slice(1) }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const url = `${base}/api/chat/rooms/${created.id}/messages/`;

    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
    console.log('| concurrent senders | sends/s | p50 ms | p99 ms |');
    console.log('|---:|---:|---:|---:|');
    for (const concurrency of levels) {
      const latencies: number[] = [];
      const deadline = Date.now() + seconds * 1000;
      await Promise.all(
        Array.from({ length: concurrency }, async (_, i) => {
          const token = tokens[i % tokens.length]!;
          while (Date.now() < deadline) {
            const start = performance.now();
            const response = await fetch(url, {
              method: 'POST',
              headers: headers(token),
              body: JSON.stringify({ content: 'benchmark message', client_id: randomUUID() }),
            });
            await response.arrayBuffer();
            if (response.status !== 201) throw new Error(`send answered ${response.status}`);
            latencies.push(performance.now() - start);
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      console.log(
        `| ${concurrency} | ${Math.round(latencies.length / seconds)} | ${ms(percentile(latencies, 0.5))} | ${ms(percentile(latencies, 0.99))} |`,
      );
    }

    // read-your-writes: one sender, then the read that waits for the send's position
    const lags: number[] = [];
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      const sent = await fetch(url, {
        method: 'POST',
        headers: headers(tokens[0]!),
        body: JSON.stringify({ content: 'read me back' }),
      }).then((r) => r.json() as Promise<{ id: string; position: string }>);
      const start = performance.now();
      const page = await fetch(`${url}?limit=1&wait_for=${sent.position}`, {
        headers: headers(tokens[0]!),
      }).then((r) => r.json() as Promise<{ results: { id: string }[] }>);
      if (page.results[0]?.id !== sent.id) throw new Error('wait_for read missed the write');
      lags.push(performance.now() - start);
    }
    lags.sort((a, b) => a - b);
    console.log(
      `\nread-your-writes (GET ?wait_for= after a send): ${lags.length} reads, p50 ${ms(percentile(lags, 0.5))} ms, p99 ${ms(percentile(lags, 0.99))} ms`,
    );
  } finally {
    await projections.stop();
    await app.close();
    await database.drop();
  }
}
