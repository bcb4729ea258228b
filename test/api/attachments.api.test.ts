// Uploads: the type comes from the bytes, not the client; the size limit holds while streaming; names
// are made safe; only participants fetch, as a download with nosniff and a sandboxing CSP; a message may
// carry only the sender's own upload to that room. An upload cut off mid-way is the client's malformed
// body; an image is measured from its header, never decoded.
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, type UserClient } from './support/client.ts';
import { gifHeader, jpegHeader, pngHeader, webpHeader } from './support/imageHeaders.ts';
import { multipartFile, TINY_PNG } from './support/multipart.ts';
import { authFor, startTestApp, type TestApp } from './support/testApp.ts';

const MAX_BYTES = 4096;
const MAX_PIXELS = 1_000_000;
let t: TestApp;
let alice: UserClient;
let bob: UserClient;
let roomId: string;
let otherRoomId: string;

beforeAll(async () => {
  t = await startTestApp('attachments', {
    ATTACHMENTS_MAX_BYTES: String(MAX_BYTES),
    ATTACHMENTS_MAX_IMAGE_PIXELS: String(MAX_PIXELS),
  });
  alice = await clientFor(t.app, uuidv4(), { username: 'alice' });
  bob = await clientFor(t.app, uuidv4(), { username: 'bob' });
  roomId = (
    await alice.post('/api/chat/rooms/', { name: 'Files', room_type: 'group', participant_ids: [bob.userId] })
  ).body.id;
  otherRoomId = (await alice.post('/api/chat/rooms/', { name: 'Other', room_type: 'group' })).body.id;
});
afterAll(async () => t?.stop());

async function upload(user: UserClient, room: string, name: string, type: string, content: Buffer) {
  const body = multipartFile(name, type, content);
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/chat/rooms/${room}/attachments/`,
    payload: body.payload,
    headers: { ...body.headers, ...(await authFor(user.userId)) },
  });
  return { status: response.statusCode, body: response.json() };
}

describe('upload', () => {
  it('stores a PNG under a server id with the sniffed type and a safe name', async () => {
    const answer = await upload(
      alice,
      roomId,
      '../../etc/evil\u202Egnp.exe',
      'application/x-msdownload',
      TINY_PNG,
    );
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ room: roomId, content_type: 'image/png', size: TINY_PNG.length });
    expect(answer.body.file_name).toBe('evilgnp.exe');
  });

  it('refuses HTML or script sent as an image', async () => {
    const html = Buffer.from('<!doctype html><script>alert(document.cookie)</script>');
    const answer = await upload(alice, roomId, 'cat.png', 'image/png', html);
    expect(answer).toMatchObject({
      status: 415,
      body: { code: 'attachment_type_not_allowed', field: 'body.file' },
    });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    expect((await upload(alice, roomId, 'x.svg', 'image/svg+xml', svg)).status).toBe(415);
  });

  it('refuses a file over the limit with 413', async () => {
    const big = Buffer.concat([TINY_PNG, Buffer.alloc(MAX_BYTES)]);
    const answer = await upload(alice, roomId, 'big.png', 'image/png', big);
    expect(answer).toMatchObject({ status: 413, body: { code: 'body_too_large' } });
  });
});

describe('malformed uploads', () => {
  it('answers 400 to an upload cut off before its closing boundary, wherever it stops', async () => {
    const body = multipartFile('photo.png', 'image/png', TINY_PNG);
    const end = body.payload.length;
    // in the part's headers, in the file, in the closing boundary
    for (const cut of [30, end - 30, end - 4]) {
      const response = await t.app.inject({
        method: 'POST',
        url: `/api/chat/rooms/${roomId}/attachments/`,
        payload: body.payload.subarray(0, cut),
        headers: { ...body.headers, ...(await authFor(alice.userId)) },
      });
      expect({ cut, status: response.statusCode, code: response.json().code }).toEqual({
        cut,
        status: 400,
        code: 'malformed_multipart',
      });
    }
  });
});

describe('image size in pixels, read from the header', () => {
  it.each([
    ['PNG', pngHeader(1001, 1000)],
    ['GIF', gifHeader(1001, 1000)],
    ['JPEG', jpegHeader(1001, 1000)],
    ['WebP', webpHeader(1001, 1000)],
  ])('refuses a %s declaring more than the cap (image_too_large)', async (_type, image) => {
    const answer = await upload(alice, roomId, 'huge.img', 'application/octet-stream', image);
    expect(answer).toMatchObject({ status: 422, body: { code: 'image_too_large', field: 'body.file' } });
  });

  it('accepts one at the cap: the header is read, the pixels are never decoded', async () => {
    // a few dozen bytes declaring a million pixels, with no pixel data at all: only a decoder would notice
    const answer = await upload(alice, roomId, 'ok.png', 'image/png', pngHeader(1000, 1000));
    expect(answer).toMatchObject({ status: 201, body: { content_type: 'image/png' } });
  });

  it('refuses an image whose header cannot be read', async () => {
    const truncated = pngHeader(10, 10).subarray(0, 16);
    const answer = await upload(alice, roomId, 'broken.png', 'image/png', truncated);
    expect(answer).toMatchObject({ status: 415, body: { code: 'attachment_type_not_allowed' } });
  });
});

describe('download', () => {
  it('serves participants a download that no browser will run', async () => {
    const { body } = await upload(alice, roomId, 'Grundriss – Küche.png', 'image/png', TINY_PNG);
    const headers = await authFor(bob.userId);
    const response = await t.app.inject({ method: 'GET', url: `/api/chat/attachments/${body.id}/`, headers });
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(TINY_PNG)).toBe(true);
    expect(response.headers).toMatchObject({
      'content-type': 'image/png',
      'x-content-type-options': 'nosniff',
      'content-disposition': `attachment; filename="Grundriss _ K_che.png"; filename*=UTF-8''${encodeURIComponent('Grundriss – Küche.png')}`,
    });
    expect(response.headers['content-security-policy']).toContain('sandbox');
  });
});

describe('messages with attachments', () => {
  it('sends an image message with the uploader’s own attachment', async () => {
    const { body } = await upload(alice, roomId, 'photo.png', 'image/png', TINY_PNG);
    const sent = await alice.post(`/api/chat/rooms/${roomId}/messages/`, {
      content: '',
      attachment_id: body.id,
    });
    expect(sent).toMatchObject({
      status: 201,
      body: {
        message_type: 'image',
        attachment: { id: body.id, content_type: 'image/png', file_name: 'photo.png' },
      },
    });
  });

  it('refuses someone else’s upload, or one from another room', async () => {
    const alicesFile = (await upload(alice, roomId, 'a.png', 'image/png', TINY_PNG)).body.id;
    const byBob = await bob.post(`/api/chat/rooms/${roomId}/messages/`, {
      content: 'mine',
      attachment_id: alicesFile,
    });
    expect(byBob).toMatchObject({
      status: 422,
      body: { code: 'invalid_attachment', field: 'body.attachment_id' },
    });
    const elsewhere = (await upload(alice, otherRoomId, 'b.png', 'image/png', TINY_PNG)).body.id;
    const moved = await alice.post(`/api/chat/rooms/${roomId}/messages/`, {
      content: '',
      attachment_id: elsewhere,
    });
    expect(moved.status).toBe(422);
  });
});
