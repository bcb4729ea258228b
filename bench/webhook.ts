// `npm run bench -- webhook [--messages 3000] [--rate-limit 0,20] [--hook-ms 0]`: the post-send moderation
// hook's throughput. The app runs in this process with its jobs (as `npm start` does) and
// MODERATION_WEBHOOK_URL pointing at a local stub that answers `allow` after --hook-ms; --messages are
// sent over REST by 16 senders as fast as the app takes them, and the stub counts the calls. For each
// BullMQ limiter setting (MODERATION_WEBHOOK_RATE_PER_SECOND, 0: none) it reports the hook calls per
// second by 1-s window and how long the last message waited for its verdict after it was sent.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { buildApp, startAppJobs, startAppProjections } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { migrate } from '../src/db/migrate.ts';
import { createTestDatabase, testRedisPrefix } from '../test/support/database.ts';
import { mintToken, TEST_JWT_SECRET } from '../test/support/tokens.ts';

const SENDERS = 16;

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      messages: { type: 'string', default: '3000' },
      'rate-limit': { type: 'string', default: '0,20' },
      'hook-ms': { type: 'string', default: '0' },
    },
  });
  const messages = Number(values.messages);
  const hookMs = Number(values['hook-ms']);
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `| limiter (calls/s) | messages | hook calls/s by 1-s window | mean calls/s | last verdict after its send |`,
  );
  console.log('|---:|---:|---|---:|---:|');
  for (const limit of values['rate-limit'].split(',').map(Number)) {
    console.log(await run(messages, limit, hookMs));
  }
}

async function run(messages: number, limit: number, hookMs: number): Promise<string> {
  const calls: number[] = [];
  const hook = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      calls.push(performance.now());
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"verdict":"allow"}');
      }, hookMs);
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookPort = (hook.address() as { port: number }).port;
  const database = await createTestDatabase('bench_webhook');
  await migrate(database.url);
  const config = loadConfig({
    DATABASE_URL: database.url,
    REDIS_PREFIX: testRedisPrefix('bench_webhook'),
    CHAT_JWT_SECRET: TEST_JWT_SECRET,
    ATTACHMENTS_DIR: `/tmp/bench-webhook-${randomUUID()}`,
    LOG_LEVEL: 'silent',
    RATE_LIMITS: 'off',
    MODERATION_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/judge`,
    MODERATION_WEBHOOK_RATE_PER_SECOND: String(limit),
  });
  const app = await buildApp(config);
  const projections = await startAppProjections(app);
  const jobs = startAppJobs(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const users = Array.from({ length: SENDERS }, () => randomUUID());
    const tokens = await Promise.all(users.map((user) => mintToken(user)));
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    });
    const room = await fetch(`${base}/api/chat/rooms/`, {
      method: 'POST',
      headers: headers(tokens[0]!),
      body: JSON.stringify({ name: 'bench', room_type: 'group', participant_ids: users.slice(1) }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const send = async (token: string) => {
      const response = await fetch(`${base}/api/chat/rooms/${room.id}/messages/`, {
        method: 'POST',
        headers: headers(token),
        body: JSON.stringify({ content: 'a message for the hook' }),
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`send answered ${response.status}`);
    };
    // the hook's producer starts at the store's head the first time it runs: one message it judges first
    await send(tokens[0]!);
    for (let waited = 0; calls.length === 0; waited += 50) {
      if (waited > 60_000) throw new Error('the hook was never called');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    calls.length = 0;
    const started = performance.now();
    let sent = 0;
    let lastSentAt = started;
    await Promise.all(
      tokens.map(async (token) => {
        while (sent < messages) {
          sent++;
          await send(token);
          lastSentAt = performance.now();
        }
      }),
    );
    for (let waited = 0; calls.length < messages; waited += 50) {
      if (waited > 600_000) throw new Error(`only ${calls.length} of ${messages} judged`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const windows: number[] = [];
    for (const at of calls) {
      const second = Math.floor((at - started) / 1000);
      windows[second] = (windows[second] ?? 0) + 1;
    }
    const seconds = (calls.at(-1)! - started) / 1000;
    return `| ${limit === 0 ? 'none' : limit} | ${messages} | ${Array.from(windows, (n) => n ?? 0).join(' ')} | ${Math.round(messages / seconds)} | ${((calls.at(-1)! - lastSentAt) / 1000).toFixed(1)} s |`;
  } finally {
    await jobs.stop();
    await projections.stop();
    await app.close();
    await database.drop();
    // the jobs' fetch keeps its connections alive: closed, or the process would not exit
    hook.closeAllConnections();
    hook.close();
  }
}
