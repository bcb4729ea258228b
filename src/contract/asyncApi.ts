// The AsyncAPI 3.0 document of both sockets, generated from the frame schemas in frames.ts (zod 4's
// toJSONSchema): what a frame may hold is never written twice. Only the words around the schemas (what a
// frame is for) are written here. Served at /asyncapi.json and rendered at /docs/asyncapi.
import { z } from 'zod';
import { CLOSE } from './closeCodes.ts';
import { CLIENT_FRAMES, type ClientFrameType, FeedFrameSchemas, SERVER_FRAME_SCHEMAS } from './frames.ts';

type Json = Record<string, unknown>;

/** What each client frame asks for (the schema says what it holds). */
const CLIENT_SUMMARIES: Record<ClientFrameType, string> = {
  chat_message:
    'Send a message. Answered with message_ack (durable), then the projected chat_message to everyone. A retry with the same client_id returns the original.',
  typing: 'Typing indicator (ephemeral): repeat is_typing:true every few seconds; it expires after 6 s.',
  read_receipt: 'Mark the room read up to this message: everyone gets read_receipt, the reader unread_count.',
  mark_room_read: 'Mark everything in the room read.',
  subscribe: 'User socket only: start receiving a room, resuming from last_seq when given.',
  unsubscribe: 'User socket only: stop receiving a room.',
  ping: 'Application keepalive (for clients that cannot send WebSocket pings): answered with pong.',
  set_presence:
    'away: this device is away (background, idle) or back; invisible: your setting, kept (everyone sees you offline).',
  authenticate: 'Only as the first frame of a socket opened without a token, within 5 s.',
};

const FEED_SUMMARY =
  'A feed frame: numbered per room (seq, gap-free), kept, replayed on resume. Remember the last seq per room.';

/** What each server frame that is not a feed frame tells. */
const SESSION_SUMMARIES: Record<string, string> = {
  connection_established: 'The first frame of an open socket.',
  message_ack: 'Your chat_message is stored (durable at position); created false for a repeated client_id.',
  typing: 'Someone else is typing (or stopped). Not part of the feed: no seq.',
  unread_count: 'Your own read marker moved (on any of your devices): the room’s unread count now.',
  resumed:
    'Room socket with last_seq: the replay is complete. recovered false: reload the history over REST.',
  subscribed: 'User socket: the room is subscribed; with last_seq, how the resume went.',
  unsubscribed: 'User socket: the room is no longer delivered (asked for, or you left or were removed).',
  room_added: 'User socket: you were added to a room (or it was created with you). Not replayed.',
  room_removed: 'User socket: you were taken out of a room or left it. Not replayed.',
  presence: 'Someone you share a room with went online, away or offline (not part of any feed: no seq).',
  pong: 'The answer to ping.',
  error: 'A frame was refused; the socket stays open. code is stable (the error table).',
};

/** One JSON Schema per frame, under components.schemas; the resources they embed beside them. */
function frameSchemas(): Json {
  const registry = z.registry<{ id: string }>();
  for (const [type, schema] of Object.entries(CLIENT_FRAMES)) registry.add(schema, { id: `client_${type}` });
  const { connection_established: greeting, ...serverFrames } = SERVER_FRAME_SCHEMAS;
  for (const [type, schema] of Object.entries(serverFrames)) registry.add(schema, { id: `server_${type}` });
  const [roomGreeting, userGreeting] = greeting.options;
  registry.add(roomGreeting, { id: 'server_connection_established_room' });
  registry.add(userGreeting, { id: 'server_connection_established_user' });
  // client frames as they may be written (input), server frames as they are sent (output: strict objects)
  const convert = (io: 'input' | 'output') =>
    z.toJSONSchema(registry, { target: 'draft-07', io, uri: (id) => `#/components/schemas/${id}` })
      .schemas as Record<string, Json>;
  const input = convert('input');
  const output = convert('output');
  const schemas: Json = {};
  for (const [id, schema] of Object.entries(output)) {
    if (id === '__shared') continue;
    schemas[id] = id.startsWith('client_') ? input[id] : schema;
  }
  // resources with an id of their own (Message, Room, ...) come as one shared block: each its own entry
  const shared = (output.__shared?.definitions ?? {}) as Record<string, Json>;
  Object.assign(schemas, shared);
  const text = JSON.stringify(schemas, (key, value) =>
    key === '$schema' || key === '$id' ? undefined : value,
  );
  return JSON.parse(text.replaceAll('#/components/schemas/__shared#/definitions/', '#/components/schemas/'));
}

const message = (id: string, name: string, summary: string): Json => ({
  name,
  title: name,
  summary,
  contentType: 'application/json',
  payload: { $ref: `#/components/schemas/${id}` },
});

function messages(): Record<string, Json> {
  const result: Record<string, Json> = {};
  for (const type of Object.keys(CLIENT_FRAMES) as ClientFrameType[]) {
    result[`client_${type}`] = message(`client_${type}`, type, CLIENT_SUMMARIES[type]);
  }
  for (const type of Object.keys(SERVER_FRAME_SCHEMAS)) {
    if (type === 'connection_established') continue;
    const summary = Object.hasOwn(FeedFrameSchemas, type) ? FEED_SUMMARY : SESSION_SUMMARIES[type];
    if (!summary) throw new Error(`asyncApi: no summary for the server frame ${type}`);
    result[`server_${type}`] = message(`server_${type}`, type, summary);
  }
  for (const kind of ['room', 'user'] as const) {
    result[`server_connection_established_${kind}`] = message(
      `server_connection_established_${kind}`,
      'connection_established',
      `${SESSION_SUMMARIES.connection_established} (${kind} socket)`,
    );
  }
  return result;
}

const FEED = Object.keys(FeedFrameSchemas).map((type) => `server_${type}`);
const BOTH_SERVER = [
  'server_message_ack',
  'server_typing',
  'server_unread_count',
  'server_presence',
  'server_pong',
  'server_error',
];

/** Which frames each socket carries, each way (the user socket adds subscriptions and room notices). */
export const SOCKET_FRAMES = {
  roomSocket: {
    receives: Object.keys(CLIENT_FRAMES)
      .filter((type) => type !== 'subscribe' && type !== 'unsubscribe')
      .map((type) => `client_${type}`),
    sends: ['server_connection_established_room', ...BOTH_SERVER, 'server_resumed', ...FEED],
  },
  userSocket: {
    receives: Object.keys(CLIENT_FRAMES).map((type) => `client_${type}`),
    sends: [
      'server_connection_established_user',
      ...BOTH_SERVER,
      'server_subscribed',
      'server_unsubscribed',
      'server_room_added',
      'server_room_removed',
      ...FEED,
    ],
  },
} as const;
export type SocketKind = keyof typeof SOCKET_FRAMES;

const CLOSE_CODES = Object.entries(CLOSE)
  .map(([name, code]) => `| ${code} | ${name} |`)
  .join('\n');

const DESCRIPTION = `The two WebSocket endpoints of the chat service. Frames are JSON text frames with a \`type\`.
Authenticate with \`?token=<access token>\` (the REST token), the subprotocol pair \`bearer, <token>\`, or an
\`authenticate\` frame first. Resume with the last \`seq\` seen per room: \`?last_seq=N\` (room socket) or
\`subscribe\` with \`last_seq\` (user socket); \`recovered: false\` means reload the history over REST.

Close codes (4xxx: do not just retry):

| code | name |
|---|---|
${CLOSE_CODES}

The full protocol (limits, error codes, ordering): docs/realtime.md; the guide for app developers:
docs/api/CHAT_API.md. REST: /openapi.json.`;

const channel = (kind: SocketKind, address: string, description: string, query: Json): Json => ({
  address,
  description,
  ...(address.includes('{room_id}')
    ? { parameters: { room_id: { description: 'the room (uuid) this socket joins at connect' } } }
    : {}),
  messages: Object.fromEntries(
    [...SOCKET_FRAMES[kind].receives, ...SOCKET_FRAMES[kind].sends].map((id) => [
      id,
      { $ref: `#/components/messages/${id}` },
    ]),
  ),
  bindings: { ws: { bindingVersion: '0.1.0', query } },
});

const operation = (kind: SocketKind, action: 'send' | 'receive', summary: string): Json => ({
  action,
  channel: { $ref: `#/channels/${kind}` },
  summary,
  messages: SOCKET_FRAMES[kind][action === 'send' ? 'sends' : 'receives'].map((id) => ({
    $ref: `#/channels/${kind}/messages/${id}`,
  })),
});

const TOKEN_QUERY = {
  type: 'string',
  description: 'the access token (or use the subprotocol or the authenticate frame)',
};

export function buildAsyncApiDocument(host = 'localhost:8000'): Json {
  return {
    asyncapi: '3.0.0',
    info: { title: 'Chat WebSocket API', version: '1.0.0', description: DESCRIPTION },
    defaultContentType: 'application/json',
    servers: {
      chat: { host, protocol: 'ws', description: 'the service itself (wss behind TLS)' },
    },
    channels: {
      roomSocket: channel('roomSocket', '/ws/chat/{room_id}/', 'One room, joined at connect.', {
        type: 'object',
        properties: {
          token: TOKEN_QUERY,
          last_seq: { type: 'integer', minimum: 0, description: 'resume after this seq of the room' },
        },
      }),
      userSocket: channel(
        'userSocket',
        '/ws/chat/',
        'Any of the user’s rooms, chosen with subscribe / unsubscribe; tells of rooms added and removed.',
        { type: 'object', properties: { token: TOKEN_QUERY } },
      ),
    },
    operations: {
      roomSocketReceive: operation('roomSocket', 'receive', 'Frames a client sends on a room socket'),
      roomSocketSend: operation('roomSocket', 'send', 'Frames the service sends on a room socket'),
      userSocketReceive: operation('userSocket', 'receive', 'Frames a client sends on the user socket'),
      userSocketSend: operation('userSocket', 'send', 'Frames the service sends on the user socket'),
    },
    components: { schemas: frameSchemas(), messages: messages() },
  };
}
