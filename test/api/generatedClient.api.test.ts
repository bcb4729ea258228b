// The OpenAPI document suffices for code generation: a TypeScript client is generated from the served
// /openapi.json at test time (swagger-typescript-api, fetch), type-checked strictly, and drives a whole
// flow against the real service over HTTP: a group room, a member added, a send with client_id, a reply,
// an edit, a reaction, mark read, history paged by cursor, an upload sent as an attachment, and one error
// of each kind a client handles (400, 401, 404, 409, 412, 415). The contract hook of the test app checks
// every answer against the same document meanwhile.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateApi } from 'swagger-typescript-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mintToken } from '../support/tokens.ts';
import { pngHeader } from './support/imageHeaders.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const run = promisify(execFile);

// the generated module's shape, as this test uses it (its own types are checked by tsc below)
// biome-ignore lint/suspicious/noExplicitAny: the generated types are checked by tsc, not here
type Answer = Response & { data: any; error: any };
// biome-ignore lint/suspicious/noExplicitAny: as above
type Call = (...args: any[]) => Promise<Answer>;
type Api = Record<string, Record<string, Call>>;
type ApiModule = { Api: new (config: { baseUrl: string; baseApiParams?: object }) => Api };

let t: TestApp;
let dir: string;
let generated: ApiModule;
let baseUrl: string;

beforeAll(async () => {
  t = await startTestApp('generated_client');
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${address.port}`;
  const document = await (await fetch(`${baseUrl}/openapi.json`)).json();
  // inside the project, so that the generated module resolves nothing outside it and vitest transforms it
  dir = await mkdtemp(join(import.meta.dirname, '.generated-client-'));
  await generateApi({
    spec: document,
    output: dir,
    fileName: 'chatApi.ts',
    httpClientType: 'fetch',
    moduleNameFirstTag: true,
    silent: true,
  });
  generated = (await import(join(dir, 'chatApi.ts'))) as ApiModule;
});

afterAll(async () => {
  await t?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function clientAs(userId: string, username: string): Promise<Api> {
  const token = await mintToken(userId, { claims: { username } });
  return new generated.Api({ baseUrl, baseApiParams: { headers: { authorization: `Bearer ${token}` } } });
}

/** the answer of a call the service refuses: the generated client rejects with the response */
async function refusal(call: Promise<Answer>): Promise<{ status: number; code: string }> {
  const answer = await call.then(
    () => {
      throw new Error('expected a refusal');
    },
    (response: Answer) => response,
  );
  return { status: answer.status, code: answer.error?.code };
}

describe('a client generated from /openapi.json', () => {
  it('is valid strict TypeScript', async () => {
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          lib: ['es2022', 'dom'],
        },
        files: ['chatApi.ts'],
      }),
    );
    const tsc = join(import.meta.dirname, '../../node_modules/.bin/tsc');
    await expect(run(tsc, ['-p', join(dir, 'tsconfig.json')])).resolves.toBeDefined();
  });

  it('drives a whole conversation, and reads each kind of refusal', async () => {
    const [alice, bob, carol] = [randomUUID(), randomUUID(), randomUUID()];
    const asAlice = await clientAs(alice, 'alice');
    const asBob = await clientAs(bob, 'bob');

    const room = await asAlice.rooms!.createRoom!({
      name: 'Unit 4B',
      room_type: 'group',
      participant_ids: [bob],
    });
    expect(room.status).toBe(201);
    const roomId = room.data.id as string;
    const added = await asAlice.participants!.addParticipant!(roomId, { user_id: carol, username: 'carol' });
    expect(added.status).toBe(201);

    const first = await asAlice.messages!.sendMessage!(roomId, {
      content: 'boiler fixed?',
      client_id: 'c-1',
    });
    expect(first.status).toBe(201);
    const again = await asAlice.messages!.sendMessage!(roomId, {
      content: 'boiler fixed?',
      client_id: 'c-1',
    });
    expect(again.data.id).toBe(first.data.id); // the retry gets the original back
    const reply = await asBob.messages!.sendMessage!(roomId, { content: 'yes', reply_to: first.data.id });
    expect(reply.data.reply_to).toBe(first.data.id);
    const edited = await asBob.messages!.editMessage!(reply.data.id, { content: 'yes, this morning' });
    expect(edited.data.content).toBe('yes, this morning');
    const reacted = await asAlice.messages!.addReaction!(reply.data.id, { emoji: '👍' });
    expect(reacted.ok).toBe(true);

    const upload = await asAlice.attachments!.uploadAttachment!(roomId, {
      file: new File([new Uint8Array(pngHeader(4, 4))], 'meter.png', { type: 'image/png' }),
    });
    expect(upload.status).toBe(201);
    const withImage = await asAlice.messages!.sendMessage!(roomId, {
      message_type: 'image',
      attachment_id: upload.data.id,
    });
    expect(withImage.data.attachment.file_name).toBe('meter.png');
    const position = withImage.headers.get('x-chat-position')!;

    const read = await asBob.messages!.markRoomRead!(roomId, undefined);
    expect(read.ok).toBe(true);

    // history by cursor, two at a time, oldest first within a page
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await asBob.messages!.listMessages!(roomId, { limit: 2, wait_for: position, before });
      seen.unshift(...page.data.results.map((message: { content: string }) => message.content));
      if (!page.data.has_more) break;
      before = page.data.results[0].seq;
    }
    expect(seen).toEqual(['boiler fixed?', 'yes, this morning', '']);

    // one refusal of each kind
    expect(await refusal(asAlice.rooms!.createRoom!({ room_type: 'nursery' }))).toEqual({
      status: 400,
      code: 'validation_failed',
    });
    const anonymous = new generated.Api({ baseUrl });
    expect(await refusal(anonymous.rooms!.listRooms!())).toMatchObject({ status: 401 });
    expect(await refusal(asAlice.rooms!.getRoom!(randomUUID()))).toEqual({ status: 404, code: 'not_found' });
    expect(
      await refusal(asAlice.messages!.sendMessage!(roomId, { content: 'other', client_id: 'c-1' })),
    ).toEqual({
      status: 409,
      code: 'idempotency_conflict',
    });
    expect(
      await refusal(
        asBob.messages!.editMessage!(reply.data.id, { content: 'stale' }, { headers: { 'if-match': '"0"' } }),
      ),
    ).toEqual({ status: 412, code: 'precondition_failed' });
    expect(
      await refusal(
        asAlice.attachments!.uploadAttachment!(roomId, {
          file: new File(['#!/bin/sh\n'], 'run.sh', { type: 'application/x-sh' }),
        }),
      ),
    ).toEqual({ status: 415, code: 'attachment_type_not_allowed' });
  });
});
