// deploy/nginx.conf as it ships, run by Debian's nginx in front of the service (only the upstream address,
// the listen port and the log path replaced): REST, an upload, and WebSocket conversations on both sockets
// pass through it, and its access log never shows a token.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../api/support/multipart.ts';
import { startTestApp, type TestApp } from '../api/support/testApp.ts';
import { openSocket } from '../realtime/support/testSocket.ts';
import { freePort } from '../support/freePort.ts';
import { mintToken } from '../support/tokens.ts';

const NGINX = '/usr/sbin/nginx';
const available = existsSync(NGINX);

let t: TestApp;
let nginx: ChildProcess;
let dir: string;
let front: string;

beforeAll(async () => {
  if (!available) return;
  t = await startTestApp('nginx');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const appPort = (t.app.server.address() as { port: number }).port;
  const port = await freePort();
  front = `127.0.0.1:${port}`;
  dir = await mkdtemp(join(tmpdir(), 'chat-nginx-'));
  await mkdir(join(dir, 'temp'));
  const site = (await readFile(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8'))
    .replace('server app:8000;', `server 127.0.0.1:${appPort};`)
    .replace('listen 80;', `listen ${front};`)
    .replace('/var/log/nginx/chat.access.log', join(dir, 'access.log'));
  await writeFile(join(dir, 'chat.conf'), site);
  const temp = (name: string) => `${name}_temp_path ${join(dir, 'temp', name)};`;
  await writeFile(
    join(dir, 'nginx.conf'),
    `daemon off; pid ${join(dir, 'nginx.pid')}; error_log stderr warn; worker_processes 1;
events {}
http { ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')} include ${join(dir, 'chat.conf')}; }
`,
  );
  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], { stdio: 'inherit' });
  for (let attempt = 0; ; attempt++) {
    const up = await fetch(`http://${front}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (attempt > 100 || nginx.exitCode !== null) throw new Error('nginx did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
afterAll(async () => {
  nginx?.kill('SIGTERM');
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!available)('deploy/nginx.conf in front of the service', () => {
  it('passes REST, an upload and both WebSockets through, and logs no token', async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const [aliceToken, bobToken] = await Promise.all([mintToken(alice), mintToken(bob)]);
    const headers = { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' };
    const created = await fetch(`http://${front}/api/chat/rooms/`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Behind nginx', room_type: 'group', participant_ids: [bob] }),
    });
    // 202 when the projection took over 5 s (a busy machine): the room is then read once projected
    expect([201, 202]).toContain(created.status);
    const answer = (await created.json()) as { id?: string; position: string };
    const room = answer.id
      ? { id: answer.id }
      : (
          (await (
            await fetch(`http://${front}/api/chat/rooms/?wait_for=${answer.position}`, { headers })
          ).json()) as {
            results: { id: string }[];
          }
        ).results[0]!;

    const form = new FormData();
    form.append('file', new Blob([TINY_PNG], { type: 'image/png' }), 'tiny.png');
    const upload = await fetch(`http://${front}/api/chat/rooms/${room.id}/attachments/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${aliceToken}` },
      body: form,
    });
    expect(upload.status).toBe(201);

    const bobUser = openSocket(`ws://${front}/ws/chat/?token=${bobToken}`);
    await bobUser.next('connection_established');
    bobUser.send({ type: 'subscribe', room_id: room.id });
    await bobUser.next('subscribed');
    const aliceRoom = openSocket(`ws://${front}/ws/chat/${room.id}/?token=${aliceToken}`);
    await aliceRoom.next('connection_established');
    aliceRoom.send({ type: 'chat_message', message: 'through the proxy', client_id: 'n-1' });
    const ack = await aliceRoom.next('message_ack');
    const delivered = await bobUser.next('chat_message', 20_000);
    expect((delivered.message as { id: string }).id).toBe(ack.message_id);
    bobUser.send({ type: 'ping' });
    await bobUser.next('pong');

    const history = await fetch(
      `http://${front}/api/chat/rooms/${room.id}/messages/?wait_for=${ack.position}`,
      {
        headers,
      },
    );
    expect(
      ((await history.json()) as { results: { content: string }[] }).results.map((m) => m.content),
    ).toEqual(['through the proxy']);
    await Promise.all([aliceRoom.close(), bobUser.close()]);

    const log = await readFile(join(dir, 'access.log'), 'utf8');
    expect(log).toContain(`GET /ws/chat/${room.id}/`);
    expect(log).not.toContain(aliceToken);
    expect(log).not.toContain('token=');
  });
});
