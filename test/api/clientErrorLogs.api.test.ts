// A client's mistakes are logged, once each, at info and without a stack trace, and one connection cannot
// write more than a few lines however many bad frames it sends: a cheap way to flood the log, closed.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAX_LOG_LINES_PER_CONNECTION } from '../../src/realtime/connectionLog.ts';
import { openSocket } from '../realtime/support/testSocket.ts';
import { mintToken } from '../support/tokens.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

type LogLine = { level: number; msg: string; reqId?: string; err?: { stack?: string } } & Record<
  string,
  unknown
>;

let t: TestApp;
let base: string;
let lines: LogLine[] = [];

beforeAll(async () => {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  t = await startTestApp('client_error_logs', { LOG_LEVEL: 'info' }, { logger: { stream } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
afterAll(async () => t?.stop());
beforeEach(() => {
  lines = [];
});

const INFO = 30;
const withStack = () => lines.filter((line) => JSON.stringify(line).includes('    at '));
// a dependency's hiccup (Redis slower than its command timeout on a loaded machine) is rightly a warning,
// and is not what a client's mistake writes
const dependencyHiccup = (line: LogLine) => line.msg === 'presence unavailable';
const above = (level: number) => lines.filter((line) => line.level > level && !dependencyHiccup(line));

describe('REST', () => {
  it.each([
    ['no token', {}, undefined, 'token_missing'],
    ['a bad token', { authorization: 'Bearer not.a.token' }, undefined, 'token_invalid'],
    ['bad JSON', 'token', '{"name":', 'malformed_json'],
    ['an unknown field', 'token', '{"room_type":"group","sender":"me"}', 'unknown_field'],
  ])('%s: the code on the request line, at info, nothing else', async (_case, auth, body, code) => {
    const headers: Record<string, string> =
      auth === 'token'
        ? { authorization: `Bearer ${await mintToken(randomUUID())}` }
        : (auth as Record<string, string>);
    await fetch(`http://${base}/api/chat/rooms/`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ level: INFO, res: { code } });
    expect(above(INFO)).toEqual([]);
    expect(withStack()).toEqual([]);
  });
});

describe('WebSocket', () => {
  async function connected() {
    const socket = openSocket(`ws://${base}/ws/chat/?token=${await mintToken(randomUUID())}`);
    await socket.next('connection_established');
    return socket;
  }

  it('logs each refused frame at info without a stack, and at most a few lines per connection', async () => {
    const socket = await connected();
    for (let i = 0; i < 60; i++) socket.sendRaw(i % 2 ? 'not json' : '{"type":"shout"}');
    await socket.next((frame) => frame.type === 'error' && socket.frames.length >= 60);
    const ofConnection = lines.filter((line) => line.reqId !== undefined && line.msg !== 'incoming request');
    expect(ofConnection).toHaveLength(MAX_LOG_LINES_PER_CONNECTION + 1);
    // a flood: besides the bad frames themselves, the socket's rate limit refuses some (a presence hiccup
    // of the connection counts against its lines too)
    for (const line of ofConnection.slice(0, -1).filter((line) => !dependencyHiccup(line))) {
      expect(line).toMatchObject({ level: INFO, msg: 'error frame sent' });
      expect(['unknown_type', 'invalid_json', 'rate_limited']).toContain(line.code);
    }
    expect(ofConnection.at(-1)).toMatchObject({ level: INFO, msg: expect.stringContaining('suppressed') });
    expect(above(INFO)).toEqual([]);
    expect(withStack()).toEqual([]);
    await socket.close();
  });

  it('logs a protocol violation (invalid UTF-8, close 1007) once, at info, without a stack', async () => {
    const socket = await connected();
    socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await socket.closed).code).toBe(1007);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const errors = lines.filter((line) => line.msg === 'socket error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: INFO, error: { code: 'WS_ERR_INVALID_UTF8' } });
    expect(above(INFO)).toEqual([]);
    expect(withStack()).toEqual([]);
  });

  it('logs a failed authentication once, with its code', async () => {
    const ws = new WebSocket(`ws://${base}/ws/chat/?token=not.a.token`);
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(4001);
    const failed = lines.filter((line) => line.msg === 'socket authentication failed');
    expect(failed).toEqual([expect.objectContaining({ level: INFO, code: 'token_invalid' })]);
    expect(above(INFO)).toEqual([]);
  });
});
