// The signed-in screen: the room list beside the open room (one at a time on a phone), the reconnect
// banner, and the live region that announces each new message once.
import { useState } from 'preact/hooks';
import type { RoomWithUnreadJson } from '../../src/contract/resources.ts';
import { RoomView } from './roomView.tsx';
import { type ChatStore, useStore } from './store.ts';

export function ChatScreen({
  store,
  username,
  onSignOut,
}: {
  store: ChatStore;
  username: string;
  onSignOut: () => void;
}) {
  useStore(store);
  const open = store.openRoomId ? store.rooms.get(store.openRoomId) : undefined;
  return (
    <div class={`layout ${open ? 'room-open' : 'list-open'}`}>
      <ConnectionBanner store={store} />
      <nav class="sidebar" aria-label="Rooms">
        <header class="sidebar-head">
          <span class="app-name" aria-hidden="true">
            Chat
          </span>
          <span class="me">{username}</span>
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </header>
        <NewRoom store={store} />
        <ul class="rooms">
          {store.sortedRooms().map((room) => (
            <RoomItem key={room.id} store={store} room={room} current={room.id === store.openRoomId} />
          ))}
        </ul>
      </nav>
      <main class="room" aria-label={open ? store.titleOf(open) : 'No room open'}>
        <h1 class="visually-hidden">Chat</h1>
        {open ? <RoomView key={open.id} store={store} room={open} /> : <p class="empty">Choose a room.</p>}
      </main>
      <div class="visually-hidden" aria-live="polite" aria-relevant="additions">
        {store.announcements.map((announcement) => (
          <p key={announcement.id}>{announcement.text}</p>
        ))}
      </div>
    </div>
  );
}

function RoomItem({
  store,
  room,
  current,
}: {
  store: ChatStore;
  room: RoomWithUnreadJson;
  current: boolean;
}) {
  const last = room.last_message;
  const preview = last
    ? `${last.sender.username ?? last.sender.id}: ${last.is_deleted ? 'deleted' : last.content || 'a file'}`
    : 'No messages yet';
  const context = room.task ? `Task ${room.task}` : room.property ? `Property ${room.property}` : null;
  return (
    <li>
      <button
        type="button"
        class={`room-item${current ? ' current' : ''}`}
        aria-current={current ? 'true' : undefined}
        onClick={() => void store.openRoom(room.id)}
      >
        <span class="room-title">
          <bdi>{store.titleOf(room)}</bdi>
          {context && <span class="context">{context}</span>}
          {room.archived_at && <span class="context">archived</span>}
        </span>
        <span class="preview">
          <bdi>{preview}</bdi>
        </span>
        {room.unread_count > 0 && (
          <span class="badge">
            {room.unread_count}
            <span class="visually-hidden"> unread</span>
          </span>
        )}
      </button>
    </li>
  );
}

function NewRoom({ store }: { store: ChatStore }) {
  const [error, setError] = useState<string | null>(null);
  const [type, setType] = useState<'group' | 'direct' | 'task' | 'property'>('group');
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const value = (name: string) =>
      ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '').trim();
    const participants = value('participants')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    try {
      const room = await store.client.rest.createRoom({
        room_type: type,
        participant_ids: participants,
        ...(type !== 'direct' && value('name') ? { name: value('name') } : {}),
        ...(type === 'task' ? { task: value('context') } : {}),
        ...(type === 'property' ? { property: value('context') } : {}),
      });
      setError(null);
      form.reset();
      store.rooms.set(room.id, room);
      store.client.socket.subscribe(room.id, room.last_seq);
      await store.loadParticipants(room.id);
      await store.openRoom(room.id);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return (
    <details class="new-room">
      <summary>New room</summary>
      <form onSubmit={submit}>
        <label>
          Kind
          <select
            name="type"
            value={type}
            onChange={(event) => setType(event.currentTarget.value as typeof type)}
          >
            <option value="group">Group</option>
            <option value="direct">Direct</option>
            <option value="task">Task</option>
            <option value="property">Property</option>
          </select>
        </label>
        {type !== 'direct' && (
          <label>
            Name <input name="name" maxLength={200} />
          </label>
        )}
        {(type === 'task' || type === 'property') && (
          <label>
            {type === 'task' ? 'Task' : 'Property'} <input name="context" required maxLength={64} />
          </label>
        )}
        <label>
          Participants (user ids, comma-separated) <input name="participants" required={type === 'direct'} />
        </label>
        <button type="submit">Create room</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </details>
  );
}

function ConnectionBanner({ store }: { store: ChatStore }) {
  const state = store.connection;
  if (state.status === 'open' || (!store.everConnected && state.status === 'connecting')) return null;
  const text =
    state.status === 'signed_out'
      ? 'Signed out: sign in again.'
      : state.status === 'waiting'
        ? `Connection lost. Reconnecting in ${Math.ceil(state.retryInMs / 1000)} s…`
        : 'Reconnecting…';
  return (
    <div class="banner" role="status">
      {text}
      {state.status === 'waiting' && (
        <button type="button" onClick={() => store.client.socket.reconnectNow()}>
          Retry now
        </button>
      )}
    </div>
  );
}
