// The chatbox's state, kept up to date from REST answers and socket frames: rooms, the loaded messages of
// each room, participants (names, read markers), who is typing, the outbox, the connection. Components read
// it and re-render on every change (one version counter).
import { useEffect, useState } from 'preact/hooks';
import type { ChatClient } from '../../src/client/chatClient.ts';
import type { OutboxEntry } from '../../src/client/outbox.ts';
import type { SentMessage } from '../../src/client/rest.ts';
import type { ConnectionState } from '../../src/client/socket.ts';
import type { ServerFrame } from '../../src/contract/frames.ts';
import type {
  MessageJson,
  ParticipantJson,
  RoomJson,
  RoomWithUnreadJson,
} from '../../src/contract/resources.ts';

/** a message as shown: numbered, or just stored (seq null until its chat_message frame) */
export type ShownMessage = Omit<MessageJson, 'seq'> & { seq: number | null };
export type RoomMessages = { list: ShownMessage[]; hasMore: boolean; loading: boolean };

const TYPING_TTL_MS = 6_000;

export class ChatStore {
  version = 0;
  rooms = new Map<string, RoomWithUnreadJson>();
  messages = new Map<string, RoomMessages>();
  participants = new Map<string, ParticipantJson[]>();
  typing = new Map<string, Map<string, { username: string; until: number }>>();
  outbox: readonly OutboxEntry[] = [];
  connection: ConnectionState = { status: 'connecting', attempt: 0 };
  everConnected = false;
  openRoomId: string | null = null;
  /** the newest announcement for screen readers (one per new message) */
  announcements: { id: string; text: string }[] = [];
  private readonly listeners = new Set<() => void>();

  readonly client: ChatClient;
  readonly userId: string;

  constructor(client: ChatClient, userId: string) {
    this.client = client;
    this.userId = userId;
    client.on('frame', (frame) => this.apply(frame));
    client.on('state', (state) => {
      if (state.status === 'open') {
        if (this.everConnected) void this.loadRooms();
        this.everConnected = true;
      }
      this.connection = state;
      this.changed();
    });
    client.on('resync', (roomId) => void this.reloadRoom(roomId));
    client.on('outbox', (entries) => {
      this.outbox = entries;
      this.changed();
    });
    client.on('sent', (_entry, message) => this.upsertMessage(message));
    this.outbox = client.outbox.list();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }

  /** rooms by latest activity first */
  sortedRooms(): RoomWithUnreadJson[] {
    return [...this.rooms.values()].sort((a, b) => activityOf(b).localeCompare(activityOf(a)));
  }

  async loadRooms(): Promise<void> {
    // archived rooms too: their history stays readable (the room says it is archived instead of a composer)
    const { results } = await this.client.rest.listRooms({ limit: 200, include_archived: true });
    for (const room of results) {
      this.rooms.set(room.id, room);
      this.client.socket.subscribe(room.id, this.client.socket.seqOf(room.id) ?? room.last_seq);
      if (room.room_type === 'direct' && !this.participants.has(room.id)) void this.loadParticipants(room.id);
    }
    this.changed();
  }

  async loadParticipants(roomId: string): Promise<void> {
    this.participants.set(roomId, await this.client.rest.listParticipants(roomId));
    this.changed();
  }

  async openRoom(roomId: string | null): Promise<void> {
    this.openRoomId = roomId;
    this.changed();
    if (!roomId) return;
    // at once, not one after the other: the first screen needs only the messages, and the participants
    // (names, read markers) then arrive in the same round trip rather than a second one after it
    await Promise.all([
      this.messages.has(roomId) ? null : this.reloadRoom(roomId),
      this.participants.has(roomId) ? null : this.loadParticipants(roomId),
    ]);
  }

  async reloadRoom(roomId: string): Promise<void> {
    const page = await this.client.rest.listMessages(roomId, { limit: 50 });
    this.messages.set(roomId, { list: page.results, hasMore: page.has_more, loading: false });
    this.changed();
  }

  /** the page before the oldest loaded message */
  async loadOlder(roomId: string): Promise<void> {
    const shown = this.messages.get(roomId);
    const oldest = shown?.list.find((message) => message.seq !== null)?.seq;
    if (!shown?.hasMore || shown.loading || oldest == null) return;
    shown.loading = true;
    this.changed();
    try {
      const page = await this.client.rest.listMessages(roomId, { before: oldest, limit: 50 });
      const known = new Set(shown.list.map((message) => message.id));
      shown.list = [...page.results.filter((message) => !known.has(message.id)), ...shown.list];
      shown.hasMore = page.has_more;
    } finally {
      shown.loading = false;
      this.changed();
    }
  }

  typists(roomId: string): string[] {
    const now = Date.now();
    return [...(this.typing.get(roomId)?.values() ?? [])].filter((t) => t.until > now).map((t) => t.username);
  }

  /** the other person of a direct room, or the room's name */
  titleOf(room: RoomJson): string {
    if (room.room_type === 'direct') {
      const other = this.participants.get(room.id)?.find((p) => p.user.id !== this.userId);
      if (other) return other.user.username ?? other.user.id;
    }
    return room.name || 'Untitled room';
  }

  nameOf(roomId: string, userId: string): string {
    const participant = this.participants.get(roomId)?.find((p) => p.user.id === userId);
    return participant?.user.username ?? userId;
  }

  private upsertMessage(message: ShownMessage | SentMessage): void {
    const shown = this.messages.get(message.room);
    const { position: _position, ...plain } = message as SentMessage;
    if (shown) {
      const at = shown.list.findIndex((candidate) => candidate.id === plain.id);
      if (at >= 0) shown.list = shown.list.with(at, { ...plain, seq: plain.seq ?? shown.list[at]!.seq });
      else shown.list = insertBySeq(shown.list, plain);
    }
    const room = this.rooms.get(message.room);
    if (room && plain.seq !== null && (!room.last_message || room.last_message.seq <= plain.seq)) {
      this.rooms.set(room.id, { ...room, last_message: plain as MessageJson, modified_at: plain.created_at });
    }
    this.changed();
  }

  private apply(frame: ServerFrame): void {
    switch (frame.type) {
      case 'chat_message': {
        this.upsertMessage(frame.message);
        const room = this.rooms.get(frame.room_id);
        if (frame.message.sender.id !== this.userId) {
          if (room && !(this.openRoomId === room.id && document.visibilityState === 'visible')) {
            this.rooms.set(room.id, { ...this.rooms.get(room.id)!, unread_count: room.unread_count + 1 });
          }
          const name = frame.message.sender.username ?? frame.message.sender.id;
          this.typing.get(frame.room_id)?.delete(frame.message.sender.id);
          this.announce(frame.message.id, `${name}: ${frame.message.content || 'sent a file'}`);
        }
        return;
      }
      case 'message_edited':
      case 'message_deleted':
      case 'message_hidden':
      case 'message_restored':
        this.upsertMessage(frame.message);
        return;
      case 'reaction_added':
      case 'reaction_removed': {
        const shown = this.messages.get(frame.room_id);
        if (shown)
          shown.list = shown.list.map((m) =>
            m.id === frame.message_id ? { ...m, reactions: frame.reactions } : m,
          );
        this.changed();
        return;
      }
      case 'read_receipt': {
        const list = this.participants.get(frame.room_id);
        if (list) {
          this.participants.set(
            frame.room_id,
            list.map((p) => (p.user.id === frame.user_id ? { ...p, last_read_seq: frame.last_read_seq } : p)),
          );
        }
        this.changed();
        return;
      }
      case 'participant_joined':
      case 'participant_updated':
      case 'participant_left':
      case 'participant_removed':
        void this.loadParticipants(frame.room_id);
        return;
      case 'room_created':
      case 'room_updated':
      case 'room_archived':
      case 'room_unarchived': {
        const known = this.rooms.get(frame.room_id);
        this.rooms.set(frame.room_id, {
          ...frame.room,
          last_message: frame.room.last_message ?? known?.last_message ?? null,
          unread_count: known?.unread_count ?? 0,
        } as RoomWithUnreadJson);
        this.changed();
        return;
      }
      case 'room_added':
        this.rooms.set(frame.room_id, { ...(frame.room as RoomJson), unread_count: 0 });
        this.client.socket.subscribe(frame.room_id, 0);
        void this.loadParticipants(frame.room_id);
        this.changed();
        return;
      case 'room_removed':
      case 'unsubscribed':
        if (frame.type === 'unsubscribed' && frame.reason === 'requested') return;
        this.rooms.delete(frame.room_id);
        if (this.openRoomId === frame.room_id) this.openRoomId = null;
        this.changed();
        return;
      case 'unread_count': {
        const room = this.rooms.get(frame.room_id);
        if (room) this.rooms.set(room.id, { ...room, unread_count: frame.unread_count });
        this.changed();
        return;
      }
      case 'typing': {
        if (frame.user_id === this.userId) return;
        const typists = this.typing.get(frame.room_id) ?? new Map();
        this.typing.set(frame.room_id, typists);
        if (frame.is_typing)
          typists.set(frame.user_id, {
            username: frame.username ?? frame.user_id,
            until: Date.now() + TYPING_TTL_MS,
          });
        else typists.delete(frame.user_id);
        this.changed();
        setTimeout(() => this.changed(), TYPING_TTL_MS + 50);
        return;
      }
      default:
        return;
    }
  }

  private announce(id: string, text: string): void {
    this.announcements = [...this.announcements.slice(-2), { id, text }];
  }
}

function activityOf(room: RoomJson): string {
  return room.last_message?.created_at ?? room.created_at;
}

function insertBySeq(list: ShownMessage[], message: ShownMessage): ShownMessage[] {
  if (message.seq === null) return [...list, message];
  let at = list.length;
  while (at > 0 && (list[at - 1]!.seq === null || list[at - 1]!.seq! > message.seq)) at -= 1;
  return [...list.slice(0, at), message, ...list.slice(at)];
}

export function useStore(store: ChatStore): number {
  const [, setVersion] = useState(store.version);
  useEffect(() => store.subscribe(() => setVersion(store.version)), [store]);
  return store.version;
}
