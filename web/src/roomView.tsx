// One room: its header, the windowed message list, who is typing, and the composer.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { MessageVersion } from '../../src/client/rest.ts';
import type { RoomWithUnreadJson } from '../../src/contract/resources.ts';
import { Composer } from './composer.tsx';
import type { ChatStore, ShownMessage } from './store.ts';
import { MessageText } from './text.tsx';

const ESTIMATED_ROW_PX = 64;
const OVERSCAN_PX = 800;
const REACTIONS = ['👍', '❤️', '😂', '✅'];

export function RoomView({ store, room }: { store: ChatStore; room: RoomWithUnreadJson }) {
  const [replyTo, setReplyTo] = useState<ShownMessage | null>(null);
  const [editing, setEditing] = useState<ShownMessage | null>(null);
  const shown = store.messages.get(room.id);
  const mine = store.participants.get(room.id)?.find((p) => p.user.id === store.userId);
  // where the unread began when the room was opened, taken once both the messages and the reader's marker
  // are known: opening at the newest message marks the room read at once, which must not take away the
  // way back to what was new
  const unreadAtOpen = useRef<{ seq: number; count: number } | null | undefined>(undefined);
  if (unreadAtOpen.current === undefined && shown && mine) {
    unreadAtOpen.current =
      room.unread_count > 0 ? { seq: mine.last_read_seq + 1, count: room.unread_count } : null;
  }
  const context = room.task ? `Task ${room.task}` : room.property ? `Property ${room.property}` : null;
  const typists = store.typists(room.id);
  const archived = room.archived_at !== null;
  // a reply or edit begun before the room was archived cannot be finished; unarchiving starts afresh
  useEffect(() => {
    if (!archived) return;
    setReplyTo(null);
    setEditing(null);
  }, [archived]);
  return (
    <section class="room-view">
      <header class="room-head">
        <button
          type="button"
          class="back"
          onClick={() => void store.openRoom(null)}
          aria-label="Back to rooms"
        >
          ←
        </button>
        <h2>
          <bdi>{store.titleOf(room)}</bdi>
        </h2>
        {context && <span class="context">{context}</span>}
      </header>
      {shown ? (
        <MessageList
          store={store}
          room={room}
          messages={shown.list}
          unreadAtOpen={unreadAtOpen.current ?? null}
          archived={archived}
          onReply={setReplyTo}
          onEdit={setEditing}
        />
      ) : (
        <p class="empty">Loading messages…</p>
      )}
      <p class="typing" aria-live="off">
        {typists.length > 0 ? `${typists.join(', ')} ${typists.length > 1 ? 'are' : 'is'} typing…` : ' '}
      </p>
      {archived ? (
        // the service refuses sends, edits and reactions in an archived room: offer none of them
        <p class="archived-notice" role="status">
          This room is archived
        </p>
      ) : (
        <Composer
          store={store}
          room={room}
          replyTo={replyTo}
          editing={editing}
          onDone={() => {
            setReplyTo(null);
            setEditing(null);
          }}
        />
      )}
    </section>
  );
}

type ListProps = {
  store: ChatStore;
  room: RoomWithUnreadJson;
  messages: ShownMessage[];
  unreadAtOpen: { seq: number; count: number } | null;
  archived: boolean;
  onReply: (message: ShownMessage) => void;
  onEdit: (message: ShownMessage) => void;
};

/**
 * Only the rows near the viewport are in the DOM (heights measured once rendered, estimated before), so a
 * room of 10,000 messages scrolls like one of 50. The list sticks to the bottom while the reader is there;
 * otherwise the first row in view keeps its place when older pages are prepended (or rows above it change
 * height): the view's top is kept as that row's offset plus how far into it the reader was.
 */
function MessageList({ store, room, messages, unreadAtOpen, archived, onReply, onEdit }: ListProps) {
  const scroller = useRef<HTMLElement>(null);
  const heights = useRef(new Map<string, number>());
  /** the first row in view and how far the view's top is below that row's top, as of the last scroll */
  const anchor = useRef<{ id: string; offset: number } | null>(null);
  const atBottom = useRef(true);
  /** the view's top as the list last saw or set it: another value is a scroll whose event is still due */
  const seenTop = useRef(0);
  const [viewport, setViewport] = useState({ top: 0, height: 800 });

  const { offsets, total } = layoutOf(messages, heights.current);
  // the window is chosen for where the view will be once anchored, so the rows a prepend pushed down are
  // the ones rendered in the same pass (not a blank frame of spacer)
  const top = atBottom.current
    ? Math.max(0, total - viewport.height)
    : (anchoredTop(messages, offsets, anchor.current) ?? viewport.top);
  let start = 0;
  while (start < messages.length - 1 && offsets[start + 1]! < top - OVERSCAN_PX) start += 1;
  let end = start;
  while (end < messages.length && offsets[end]! < top + viewport.height + OVERSCAN_PX) end += 1;

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    // the reader scrolled and this render (a frame from the socket, say) came before the scroll event:
    // their scroll counts first, or sticking to the bottom or the old anchor would take the view back
    if (Math.abs(element.scrollTop - seenTop.current) >= 1) noteScroll(element);
    let moved = false;
    for (const row of element.querySelectorAll<HTMLElement>('[data-id]')) {
      // fractional: rounded heights would add up to a drift of pixels over a screen of rows
      const height = row.getBoundingClientRect().height;
      if (heights.current.get(row.dataset.id!) !== height) {
        heights.current.set(row.dataset.id!, height);
        moved = true;
      }
    }
    const wanted = atBottom.current
      ? element.scrollHeight - element.clientHeight
      : anchoredTop(messages, layoutOf(messages, heights.current).offsets, anchor.current);
    if (wanted !== null && Math.abs(element.scrollTop - wanted) >= 1) element.scrollTop = wanted;
    seenTop.current = element.scrollTop;
    // re-render when measuring changed the spacers or the view is not where the window was chosen for
    if (
      moved ||
      Math.abs(viewport.top - element.scrollTop) >= 1 ||
      viewport.height !== element.clientHeight
    ) {
      setViewport({ top: element.scrollTop, height: element.clientHeight });
    }
  });

  /** where the reader is: at the bottom, or at which row and how far into it (offsets as rendered) */
  const noteScroll = (element: HTMLElement) => {
    atBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
    const first = messages.findIndex((_, i) => (offsets[i + 1] ?? total) > element.scrollTop);
    anchor.current =
      first >= 0 ? { id: messages[first]!.id, offset: element.scrollTop - offsets[first]! } : null;
    seenTop.current = element.scrollTop;
  };

  const onScroll = () => {
    const element = scroller.current!;
    noteScroll(element);
    setViewport({ top: element.scrollTop, height: element.clientHeight });
    if (element.scrollTop < 300) void store.loadOlder(room.id);
  };

  // mark read while the newest message is in view and the page is visible; not before the reader's own
  // marker is known (the room view takes where the unread began from it first)
  const newest = messages.findLast((message) => message.seq !== null);
  const mine = store.participants.get(room.id)?.find((p) => p.user.id === store.userId);
  useEffect(() => {
    const mark = () => {
      if (!newest || !mine || !atBottom.current || document.visibilityState !== 'visible') return;
      if (room.unread_count === 0 && mine.last_read_seq >= (newest.seq ?? 0)) return;
      store.client.socket.send({ type: 'read_receipt', room_id: room.id, message_id: newest.id });
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [newest?.id, room.unread_count, viewport.top, mine?.last_read_seq]);

  const [jumped, setJumped] = useState(false);
  const jumpToUnread = async () => {
    if (!unreadAtOpen) return;
    setJumped(true);
    for (let pages = 0; pages < 40; pages += 1) {
      const list = store.messages.get(room.id)?.list ?? [];
      if ((list[0]?.seq ?? 0) <= unreadAtOpen.seq || !store.messages.get(room.id)?.hasMore) break;
      await store.loadOlder(room.id);
    }
    const list = store.messages.get(room.id)?.list ?? [];
    const target = list.find((message) => (message.seq ?? Infinity) >= unreadAtOpen.seq);
    if (!target) return;
    // anchored at the first unread row's top: the next render scrolls there and keeps it there
    atBottom.current = false;
    anchor.current = { id: target.id, offset: 0 };
    setViewport((current) => ({ ...current }));
  };

  const readers = store.participants.get(room.id) ?? [];
  const lastOwn = messages.findLast((message) => message.sender.id === store.userId && message.seq !== null);
  const seenBy = lastOwn
    ? readers.filter((p) => p.user.id !== store.userId && p.last_read_seq >= (lastOwn.seq ?? Infinity))
    : [];
  const rows = messages.slice(start, end);
  return (
    <>
      {unreadAtOpen && !jumped && (
        <button type="button" class="jump" onClick={() => void jumpToUnread()}>
          Jump to first unread ({unreadAtOpen.count})
        </button>
      )}
      <section
        class="messages"
        ref={scroller}
        onScroll={onScroll}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
        tabIndex={0}
        aria-label="Messages"
      >
        <div style={{ height: `${offsets[start] ?? 0}px` }} />
        <ol class="message-rows">
          {rows.map((message, i) => {
            const index = start + i;
            const previous = messages[index - 1];
            return (
              <li key={message.id} data-id={message.id}>
                {(!previous || dayOf(previous) !== dayOf(message)) && (
                  <p class="day">
                    <time dateTime={message.created_at}>{dayOf(message)}</time>
                  </p>
                )}
                <MessageRow
                  store={store}
                  message={message}
                  replied={message.reply_to ? messages.find((m) => m.id === message.reply_to) : undefined}
                  archived={archived}
                  onReply={onReply}
                  onEdit={onEdit}
                  seenBy={message === lastOwn ? seenBy.map((p) => p.user.username ?? p.user.id) : []}
                />
              </li>
            );
          })}
        </ol>
        <div style={{ height: `${Math.max(0, total - (offsets[end] ?? total))}px` }} />
        <PendingRows store={store} roomId={room.id} />
      </section>
    </>
  );
}

/** where each row starts (measured heights, estimated for rows not rendered yet) and the list's height */
function layoutOf(messages: ShownMessage[], heights: Map<string, number>) {
  const offsets: number[] = [];
  let total = 0;
  for (const message of messages) {
    offsets.push(total);
    total += heights.get(message.id) ?? ESTIMATED_ROW_PX;
  }
  return { offsets, total };
}

/** the scroll position that keeps the anchored row where the reader saw it; null without one */
function anchoredTop(
  messages: ShownMessage[],
  offsets: number[],
  anchor: { id: string; offset: number } | null,
): number | null {
  if (!anchor) return null;
  const at = messages.findIndex((message) => message.id === anchor.id);
  return at >= 0 ? offsets[at]! + anchor.offset : null;
}

// one formatter each for the page's life: toLocaleDateString/TimeString with options build a new one per
// call, which cost more than the rest of a row's rendering (about 50 ms for one screen of rows)
const DAY = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

const dayOf = (message: ShownMessage) => DAY.format(new Date(message.created_at));

type RowProps = {
  store: ChatStore;
  message: ShownMessage;
  replied: ShownMessage | undefined;
  archived: boolean;
  onReply: (message: ShownMessage) => void;
  onEdit: (message: ShownMessage) => void;
  seenBy: string[];
};

function MessageRow({ store, message, replied, archived, onReply, onEdit, seenBy }: RowProps) {
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [history, setHistory] = useState<MessageVersion[] | null>(null);
  const own = message.sender.id === store.userId;
  const gone = message.is_deleted || message.is_hidden;
  const sender = message.sender.username ?? message.sender.id;
  const react = (emoji: string) => {
    const mine = message.reactions.find((r) => r.emoji === emoji)?.user_ids.includes(store.userId);
    void (mine
      ? store.client.rest.removeReaction(message.id, emoji)
      : store.client.rest.addReaction(message.id, emoji));
  };
  return (
    <article class={`message${own ? ' own' : ''}`} aria-label={`${sender}`} data-seq={message.seq ?? ''}>
      <header>
        <bdi class="sender">{sender}</bdi>{' '}
        <time dateTime={message.created_at}>{TIME.format(new Date(message.created_at))}</time>
        {message.is_edited && !gone && (
          <button
            type="button"
            class="link"
            onClick={() => void store.client.rest.messageHistory(message.id).then(setHistory)}
          >
            (edited)
          </button>
        )}
      </header>
      {replied && (
        <p class="reply-quote">
          ↪ <bdi>{replied.sender.username ?? replied.sender.id}</bdi>: {replied.content.slice(0, 80)}
        </p>
      )}
      {gone ? (
        <p class="tombstone">{message.is_hidden ? 'Hidden by a moderator' : 'Message deleted'}</p>
      ) : (
        <p class="body">
          <MessageText text={message.content} />
        </p>
      )}
      {message.attachment && !gone && <Attachment store={store} attachment={message.attachment} />}
      {history && (
        <div class="history" role="dialog" aria-label="Edit history">
          <ol>
            {history.map((version) => (
              <li key={version.edit_no}>
                <time dateTime={version.edited_at}>{new Date(version.edited_at).toLocaleString()}</time>:{' '}
                {version.content}
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setHistory(null)}>
            Close
          </button>
        </div>
      )}
      {message.reactions.length > 0 && (
        <ul class="reactions" aria-label="Reactions">
          {message.reactions.map((reaction) => (
            <li key={reaction.emoji}>
              <button
                type="button"
                class="chip"
                onClick={() => react(reaction.emoji)}
                disabled={archived}
                aria-pressed={reaction.user_ids.includes(store.userId)}
              >
                {reaction.emoji} {reaction.count}
              </button>
            </li>
          ))}
        </ul>
      )}
      {!gone && message.seq !== null && (
        <div class="actions">
          {/* reacting, replying and editing write to the room: not while it is archived */}
          {!archived &&
            REACTIONS.map((emoji) => (
              <button
                type="button"
                key={emoji}
                class="icon"
                aria-label={`React ${emoji}`}
                onClick={() => react(emoji)}
              >
                {emoji}
              </button>
            ))}
          {!archived && (
            <button type="button" class="link" onClick={() => onReply(message)}>
              Reply
            </button>
          )}
          {own && !archived && (
            <button type="button" class="link" onClick={() => onEdit(message)}>
              Edit
            </button>
          )}
          {own &&
            (confirmDelete ? (
              <button
                type="button"
                class="link danger"
                onClick={() => void store.client.rest.deleteMessage(message.id)}
              >
                Confirm delete
              </button>
            ) : (
              <button type="button" class="link" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            ))}
        </div>
      )}
      {seenBy.length > 0 && <p class="seen">Seen by {seenBy.join(', ')}</p>}
    </article>
  );
}

function Attachment({
  store,
  attachment,
}: {
  store: ChatStore;
  attachment: NonNullable<ShownMessage['attachment']>;
}) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let objectUrl: string | null = null;
    void store.client.rest.downloadAttachment(attachment.id).then((blob) => {
      objectUrl = URL.createObjectURL(blob);
      setUrl(objectUrl);
    });
    return () => {
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [attachment.id]);
  if (!url) return <p class="attachment">{attachment.file_name}</p>;
  return attachment.content_type.startsWith('image/') ? (
    <img class="attachment-image" src={url} alt={attachment.file_name} />
  ) : (
    <a class="attachment" href={url} download={attachment.file_name}>
      {attachment.file_name}
    </a>
  );
}

function PendingRows({ store, roomId }: { store: ChatStore; roomId: string }) {
  const entries = store.outbox.filter((entry) => entry.room_id === roomId);
  if (entries.length === 0) return null;
  return (
    <ol class="pending-rows" aria-label="Not sent yet">
      {entries.map((entry) => (
        <li key={entry.client_id} class={`message own pending ${entry.state}`}>
          <p class="body">
            <MessageText text={entry.content} />
          </p>
          {entry.state === 'failed' ? (
            <p class="error">
              Not sent: {entry.error?.message}{' '}
              <button type="button" class="link" onClick={() => store.client.retry(entry.client_id)}>
                Retry
              </button>{' '}
              <button type="button" class="link" onClick={() => store.client.discard(entry.client_id)}>
                Discard
              </button>
            </p>
          ) : (
            <p class="status">Sending…</p>
          )}
        </li>
      ))}
    </ol>
  );
}
