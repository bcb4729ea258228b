// The ceiling: a WebSocket relay with no persistence, no auth, no Redis. It speaks just enough of the chat
// protocol for the load generator (connection_established, chat_message in and out) and does the minimum
// work per message: parse once, serialize and encode once, send to every socket in the room. It writes
// through the app's own socket wrapper (src/realtime/clientSocket.ts), so frames that reach a socket in one
// event-loop turn leave in one write, as in the app: a ceiling for the app's delivery path, not a weaker one.
// Run: node bench/realtime/bareRelay.ts <port>   (prints "listening <port>")
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { type ClientSocket, textFrame, wrapSocket } from '../../src/realtime/clientSocket.ts';

const MAX_BUFFERED_BYTES = 1024 * 1024; // the app's default send buffer per socket
const port = Number(process.argv[2] ?? 0);
const rooms = new Map<string, { members: Set<ClientSocket>; seq: number }>();
const server = new WebSocketServer({ port, perMessageDeflate: false, maxPayload: 64 * 1024 });

server.on('connection', (ws, request) => {
  const match = /^\/ws\/chat\/([^/?]+)/.exec(request.url ?? '');
  if (!match) return ws.close(4003, 'no room');
  const roomId = match[1]!;
  const userId = new URL(request.url!, 'http://relay').searchParams.get('user') ?? randomUUID();
  const room = rooms.get(roomId) ?? { members: new Set<ClientSocket>(), seq: 0 };
  rooms.set(roomId, room);
  const { members } = room;
  const socket = wrapSocket(ws, MAX_BUFFERED_BYTES);
  members.add(socket);
  ws.on('close', () => members.delete(socket));
  socket.send({
    type: 'connection_established',
    room_id: roomId,
    unread_count: 0,
    user_id: userId,
    username: null,
    typing: [],
    presence: [],
  });
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; message?: string; client_id?: string };
    if (frame.type !== 'chat_message') return;
    const out = textFrame(
      Buffer.from(
        JSON.stringify({
          type: 'chat_message',
          room_id: roomId,
          seq: ++room.seq,
          message: {
            id: randomUUID(),
            room: roomId,
            sender: { id: userId, username: null },
            content: frame.message,
            created_at: new Date().toISOString(),
          },
        }),
      ),
    );
    // framed once, like the app does: the relay stays a fair ceiling for big rooms
    for (const member of members) member.sendPrepared(out);
  });
});

server.on('listening', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
