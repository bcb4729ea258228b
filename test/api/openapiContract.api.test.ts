// The contract hook bites: against a copy of the document with one deliberate error, the answers that
// error concerns are reported, the others are not; and a mismatch a test leaves fails that test (the setup
// file's afterEach, which vitest.config.ts must keep naming).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import vitestConfig from '../../vitest.config.ts';
import { clientFor, type UserClient } from './support/client.ts';
// not from contractSetup.ts: importing that would register its hooks here, setup file or not
import { failOnMismatches, type OpenApiDocument } from './support/openApiContract.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

// biome-ignore lint/suspicious/noExplicitAny: the copy is edited field by field
type Editable = any;

let t: TestApp;
let alice: UserClient;

/** The served document with three deliberate errors: a room's name typed as a number, 404 left out of
 * getMessage, and listRooms's `limit` capped at 10. */
function wrongCopy(document: OpenApiDocument): OpenApiDocument {
  const copy: Editable = document;
  copy.components.schemas.Room.properties.name = { type: 'integer' };
  delete copy.paths['/api/chat/messages/{id}/'].get.responses['404'];
  const limit = copy.paths['/api/chat/rooms/'].get.parameters.find(
    (p: { name: string }) => p.name === 'limit',
  );
  limit.schema = { ...limit.schema, maximum: 10 };
  return copy;
}

beforeAll(async () => {
  t = await startTestApp('openapi_contract', {}, {}, { adjustDocument: wrongCopy });
  alice = await clientFor(t.app, randomUUID(), { username: 'alice' });
});
afterAll(async () => {
  await t?.stop();
});

describe('the contract hook', () => {
  it('reports an answer whose body the document does not allow', async () => {
    const created = await alice.post('/api/chat/rooms/', {
      room_type: 'group',
      name: 'Pool',
      participant_ids: [],
    });
    expect([201, 202]).toContain(created.status);
    // the answer to a create is its own shape (a room with its position), which the copy leaves as it was
    expect(t.contract.mismatches.splice(0)).toEqual([]);
    const listed = await alice.get(`/api/chat/rooms/?wait_for=${created.body.position}`);
    expect(listed.status).toBe(200);
    expect(t.contract.mismatches.splice(0)).toEqual([
      expect.stringMatching(/listRooms answered 200: \/results\/0\/name must be integer/),
    ]);
  });

  it('reports a status the operation does not list', async () => {
    expect((await alice.get(`/api/chat/messages/${randomUUID()}/`)).status).toBe(404);
    expect(t.contract.mismatches.splice(0)).toEqual([
      expect.stringMatching(/getMessage answered 404, a status the document does not list/),
    ]);
  });

  it('reports a request the service accepted and the document forbids', async () => {
    const bob = await clientFor(t.app, randomUUID());
    expect((await bob.get('/api/chat/rooms/?limit=50')).status).toBe(200);
    expect(t.contract.mismatches.splice(0)).toEqual([
      expect.stringMatching(/listRooms answered 200: accepted query limit="50" the document forbids/),
    ]);
  });

  it('reports nothing for answers the copy still describes', async () => {
    expect((await alice.get('/api/chat/blocks/')).status).toBe(200);
    expect((await alice.post('/api/chat/rooms/', { room_type: 'nope' })).status).toBe(400);
    expect(t.contract.mismatches).toEqual([]);
  });
});

describe('the setup file', () => {
  const provokeMismatch = async () => {
    expect((await alice.get(`/api/chat/messages/${randomUUID()}/`)).status).toBe(404);
  };

  it('is one vitest runs before every test file', () => {
    expect(vitestConfig.test?.setupFiles).toContain('test/api/support/contractSetup.ts');
  });

  it('throws on a mismatch left over, naming it', async () => {
    await provokeMismatch();
    expect(failOnMismatches).toThrow(/does not describe:\n.*getMessage answered 404, a status/);
    // taken: the next call has nothing to complain of
    expect(failOnMismatches).not.toThrow();
  });

  it('still holds what an app answered once it is closed (a service a test restarts)', async () => {
    const closed = await startTestApp('openapi_contract_closed', {}, {}, { adjustDocument: wrongCopy });
    const bob = await clientFor(closed.app, randomUUID());
    expect((await bob.get(`/api/chat/messages/${randomUUID()}/`)).status).toBe(404);
    await closed.stop();
    expect(failOnMismatches).toThrow(/getMessage answered 404, a status/);
  });

  // what failed the next test, seen before `fails` turns its failure into a pass
  let failedWith: string[] | undefined;
  it.fails('fails the test that left a mismatch, after the test itself passed', async ({ onTestFailed }) => {
    onTestFailed(({ task }) => {
      failedWith = task.result?.errors?.map((error) => error.message);
    });
    await provokeMismatch();
  });

  it('failed it for that mismatch and nothing else', () => {
    expect(failedWith).toEqual([expect.stringMatching(/getMessage answered 404, a status the document/)]);
  });
});
