// The AsyncAPI document as served: valid AsyncAPI 3.0 (@asyncapi/parser, no error), both sockets with every
// frame of the contract, and its page at /docs/asyncapi under the /docs CSP. (Every frame the WebSocket tests
// receive is checked against it in test/realtime/support/testSocket.ts.)
import { Parser } from '@asyncapi/parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_FRAMES, SERVER_FRAME_SCHEMAS } from '../../src/contract/frames.ts';
import { startTestApp, type TestApp } from './support/testApp.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('asyncapi', {}, {}, { projector: false });
});
afterAll(async () => t?.stop());

const ERROR = 0; // Spectral's severity of an error (1 warning, 2 information, 3 hint)

describe('/asyncapi.json', () => {
  it('is a valid AsyncAPI 3.0 document (the parser reports no error)', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/asyncapi.json',
      headers: { host: 'chat.example:8443' },
    });
    expect(response.statusCode).toBe(200);
    const { document, diagnostics } = await new Parser().parse(response.body);
    expect(diagnostics.filter((d) => d.severity === ERROR)).toEqual([]);
    expect(document).toBeDefined();
    expect(document!.version()).toBe('3.0.0');
    expect(document!.servers().get('chat')!.host()).toBe('chat.example:8443');
  });

  it('describes both sockets with every frame of the contract, each way', async () => {
    const { document } = await new Parser().parse((await t.app.inject('/asyncapi.json')).body);
    const names = (channel: string, action: 'send' | 'receive') =>
      new Set(
        document!
          .operations()
          .all()
          .filter((op) => op.action() === action && op.channels().all()[0]!.id() === channel)
          .flatMap((op) =>
            op
              .messages()
              .all()
              .map((message) => message.name()),
          ),
      );
    const clientTypes = Object.keys(CLIENT_FRAMES);
    const serverTypes = Object.keys(SERVER_FRAME_SCHEMAS);
    expect(names('userSocket', 'receive')).toEqual(new Set(clientTypes));
    expect(names('roomSocket', 'receive')).toEqual(
      new Set(clientTypes.filter((type) => type !== 'subscribe' && type !== 'unsubscribe')),
    );
    const userOnly = ['subscribed', 'unsubscribed', 'room_added', 'room_removed'];
    expect(names('userSocket', 'send')).toEqual(new Set(serverTypes.filter((type) => type !== 'resumed')));
    expect(names('roomSocket', 'send')).toEqual(
      new Set(serverTypes.filter((type) => !userOnly.includes(type))),
    );
    expect(document!.channels().get('roomSocket')!.address()).toBe('/ws/chat/{room_id}/');
    // a payload is the zod contract's JSON Schema: a message_ack names what it acknowledges
    const ack = document!.components().messages().get('server_message_ack')!.payload()!;
    expect(ack.required()).toEqual(expect.arrayContaining(['message_id', 'position', 'created']));
  });
});

describe('/docs/asyncapi', () => {
  it('renders every frame under the /docs CSP and links the REST reference', async () => {
    const response = await t.app.inject('/docs/asyncapi');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.body).not.toContain('<script');
    expect(response.body).toContain('href="/docs/"');
    for (const type of Object.keys(SERVER_FRAME_SCHEMAS)) expect(response.body).toContain(`<h4>${type}</h4>`);
  });
});
