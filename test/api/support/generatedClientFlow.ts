// The flow test/api/generatedClient.api.test.ts drives through a client generated from /openapi.json. The
// test copies this file beside the generated chatApi.ts and compiles the two with `tsc --strict` before it
// runs them, so every call, body and answer field here is checked against the generated types: a document
// that drifts from what this flow does (a renamed operation or field, a problem code an operation no longer
// lists) fails the compile. Outside that copy ./chatApi.ts does not exist: tsconfig.json leaves this file out.
import { expect } from 'vitest';
import { Api, type HttpResponse } from './chatApi.ts';

export type FlowSetup = {
  baseUrl: string;
  /** an access token for this user with this username */
  tokenFor(userId: string, username: string): Promise<string>;
  /** a PNG that is only a header declaring these dimensions */
  png(width: number, height: number): Uint8Array<ArrayBuffer>;
  /** PostgreSQL away for the app (through a TCP proxy), and back */
  cutDatabase(): Promise<void>;
  restoreDatabase(): Promise<void>;
};

/** the problem codes an operation's document lists, over all its statuses */
type CodeOf<E> = E extends { code?: infer C } ? NonNullable<C> : never;

/**
 * The generated client rejects with the response when the service refuses: its status and the typed
 * problem+json body. `code` must be one the operation lists (else this does not compile).
 */
async function expectRefusal<D, E>(
  call: Promise<HttpResponse<D, E>>,
  status: number,
  code: CodeOf<E>,
): Promise<void> {
  const answer = await call.then(
    () => {
      throw new Error(`expected ${status} ${String(code)}, the call succeeded`);
    },
    (response: HttpResponse<D, E>) => response,
  );
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = answer.error as { code?: unknown; status?: unknown };
  expect({ status: answer.status, code: problem.code, body_status: problem.status }).toEqual({
    status,
    code,
    body_status: status,
  });
}

/** The conversation: a group room, a member added, sends (one retried), a reply, an edit, a reaction, an
 * attachment, mark read, history by cursor. */
async function driveConversation(setup: FlowSetup, ids: { alice: string; bob: string; carol: string }) {
  const clientAs = async (userId: string, username: string) =>
    new Api({
      baseUrl: setup.baseUrl,
      baseApiParams: { headers: { authorization: `Bearer ${await setup.tokenFor(userId, username)}` } },
    });
  const asAlice = await clientAs(ids.alice, 'alice');
  const asBob = await clientAs(ids.bob, 'bob');

  const room = await asAlice.rooms.createRoom({
    name: 'Unit 4B',
    room_type: 'group',
    participant_ids: [ids.bob],
  });
  expect(room.status).toBe(201);
  const roomId = room.data.id;
  const added = await asAlice.participants.addParticipant(roomId, { user_id: ids.carol, username: 'carol' });
  expect(added.status).toBe(201);

  const first = await asAlice.messages.sendMessage(roomId, { content: 'boiler fixed?', client_id: 'c-1' });
  expect(first.status).toBe(201);
  const again = await asAlice.messages.sendMessage(roomId, { content: 'boiler fixed?', client_id: 'c-1' });
  expect(again.data.id).toBe(first.data.id); // the retry gets the original back
  const reply = await asBob.messages.sendMessage(roomId, { content: 'yes', reply_to: first.data.id });
  expect(reply.data.reply_to).toBe(first.data.id);
  const edited = await asBob.messages.editMessage(reply.data.id, { content: 'yes, this morning' });
  expect(edited.data.content).toBe('yes, this morning');
  const reacted = await asAlice.messages.addReaction(reply.data.id, { emoji: '👍' });
  expect(reacted.ok).toBe(true);

  const upload = await asAlice.attachments.uploadAttachment(roomId, {
    file: new File([setup.png(4, 4)], 'meter.png', { type: 'image/png' }),
  });
  expect(upload.status).toBe(201);
  const withImage = await asAlice.messages.sendMessage(roomId, {
    message_type: 'image',
    attachment_id: upload.data.id,
  });
  expect(withImage.data.attachment?.file_name).toBe('meter.png');
  const position = withImage.headers.get('x-chat-position')!;

  const read = await asBob.messages.markRoomRead(roomId, undefined);
  expect(read.ok).toBe(true);

  // history by cursor, two at a time, oldest first within a page
  const seen: string[] = [];
  let before: number | undefined;
  for (;;) {
    const page = (await asBob.messages.listMessages(roomId, { limit: 2, wait_for: position, before })).data;
    // the same operation answers a search page when given `q`: this call has none
    if (!('has_more' in page)) throw new Error('a search page without q');
    seen.unshift(...page.results.map((message) => message.content));
    if (!page.has_more) break;
    before = page.results[0]!.seq ?? undefined;
  }
  expect(seen).toEqual(['boiler fixed?', 'yes, this morning', '']);

  return { asAlice, asBob, bobId: ids.bob, roomId, replyId: reply.data.id };
}

/** One refusal of each kind a client handles, each read as the typed problem the document promises. */
async function driveRefusals(setup: FlowSetup, flow: Awaited<ReturnType<typeof driveConversation>>) {
  const { asAlice, asBob, bobId, roomId, replyId } = flow;
  // @ts-expect-error: a room type the document does not have (the generated type refuses it too)
  await expectRefusal(asAlice.rooms.createRoom({ room_type: 'nursery' }), 400, 'validation_failed');
  const anonymous = new Api({ baseUrl: setup.baseUrl });
  await expectRefusal(anonymous.rooms.listRooms(), 401, 'token_missing');
  // a member who is not the room's admin
  await expectRefusal(
    asBob.participants.addParticipant(roomId, { user_id: crypto.randomUUID(), username: 'dave' }),
    403,
    'not_room_admin',
  );
  await expectRefusal(asAlice.rooms.getRoom(crypto.randomUUID()), 404, 'not_found');
  await expectRefusal(
    asAlice.messages.sendMessage(roomId, { content: 'other', client_id: 'c-1' }),
    409,
    'idempotency_conflict',
  );
  await expectRefusal(
    asBob.messages.editMessage(replyId, { content: 'stale' }, { headers: { 'if-match': '"0"' } }),
    412,
    'precondition_failed',
  );
  // a JSON body over the service's limit (64 KiB), refused before it is parsed
  await expectRefusal(
    asAlice.messages.sendMessage(roomId, { content: 'x'.repeat(70_000) }),
    413,
    'body_too_large',
  );
  await expectRefusal(
    asAlice.attachments.uploadAttachment(roomId, {
      file: new File(['#!/bin/sh\n'], 'run.sh', { type: 'application/x-sh' }),
    }),
    415,
    'attachment_type_not_allowed',
  );
  // a few dozen bytes declaring more pixels than the cap (ATTACHMENTS_MAX_IMAGE_PIXELS, 50 million)
  await expectRefusal(
    asAlice.attachments.uploadAttachment(roomId, {
      file: new File([setup.png(10_000, 10_000)], 'huge.png', { type: 'image/png' }),
    }),
    422,
    'image_too_large',
  );

  // slow mode: one message per minute for each member
  const slow = await asAlice.rooms.createRoom({
    name: 'slow',
    room_type: 'group',
    participant_ids: [bobId],
    settings: { slow_mode_seconds: 60 },
  });
  expect((await asBob.messages.sendMessage(slow.data.id, { content: 'first' })).status).toBe(201);
  await expectRefusal(asBob.messages.sendMessage(slow.data.id, { content: 'second' }), 429, 'slow_mode');

  await setup.cutDatabase();
  try {
    await expectRefusal(asAlice.rooms.getRoom(roomId), 503, 'unavailable');
  } finally {
    await setup.restoreDatabase();
  }
}

/** What the test calls (its only export besides the setup's type). */
export async function runFlow(setup: FlowSetup): Promise<void> {
  const ids = { alice: crypto.randomUUID(), bob: crypto.randomUUID(), carol: crypto.randomUUID() };
  await driveRefusals(setup, await driveConversation(setup, ids));
}
