// The client library's front door: REST calls, the user socket, and the outbox that sends what the user
// wrote until the service has it. See src/client/README.md.
import type { ServerFrame } from '../contract/frames.ts';
import { ChatApiError, ChatAuthError, type ChatError } from './errors.ts';
import { type NewOutboxEntry, Outbox, type OutboxEntry } from './outbox.ts';
import { ChatRest, type RestOptions, type SentMessage } from './rest.ts';
import { type Backoff, ChatSocket, type ConnectionState } from './socket.ts';
import { defaultStore, type KeyValueStore } from './storage.ts';

export type ChatClientOptions = RestOptions & {
  /** whose outbox this is: entries are kept per user */
  userId: string;
  /** where the outbox lives (default: localStorage in a browser, memory elsewhere) */
  storage?: KeyValueStore;
  backoff?: Partial<Backoff>;
  pingIntervalMs?: number;
  /** wait before sending the outbox again after the service was unreachable (default 3 s) */
  outboxRetryMs?: number;
};

export type ChatClientEvents = {
  /** every server frame, each feed frame once and in order per room */
  frame: (frame: ServerFrame) => void;
  state: (state: ConnectionState) => void;
  /** this room's missed frames could not be replayed: reload its messages over REST */
  resync: (roomId: string, reason: string) => void;
  /** the outbox changed (an entry added, sending, failed, or gone because it was stored) */
  outbox: (entries: readonly OutboxEntry[]) => void;
  /** an outbox entry was stored: the service's answer (numbered later, by its chat_message frame) */
  sent: (entry: OutboxEntry, message: SentMessage) => void;
};

export class ChatClient {
  readonly rest: ChatRest;
  readonly socket: ChatSocket;
  readonly outbox: Outbox;
  private flushing = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly outboxListeners = new Set<ChatClientEvents['outbox']>();
  private readonly sentListeners = new Set<ChatClientEvents['sent']>();

  private readonly options: ChatClientOptions;

  constructor(options: ChatClientOptions) {
    this.options = options;
    this.rest = new ChatRest(options);
    this.socket = new ChatSocket({
      baseUrl: options.baseUrl,
      token: options.token,
      ...(options.refreshToken ? { refreshToken: options.refreshToken } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}),
    });
    this.outbox = new Outbox(options.storage ?? defaultStore(), `chat-outbox:${options.userId}`);
    // a socket that (re)opened means the service is back: send what waits
    this.socket.on('state', (state) => {
      if (state.status === 'open') void this.flush();
    });
  }

  on<K extends keyof ChatClientEvents>(event: K, listener: ChatClientEvents[K]): () => void {
    if (event === 'outbox') return add(this.outboxListeners, listener as ChatClientEvents['outbox']);
    if (event === 'sent') return add(this.sentListeners, listener as ChatClientEvents['sent']);
    return this.socket.on(event as 'frame', listener as ChatClientEvents['frame']);
  }

  start(): void {
    this.socket.start();
    void this.flush();
  }

  stop(): void {
    this.socket.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Queues a message and sends it as soon as possible; the entry's client id makes it idempotent. */
  send(
    roomId: string,
    content: string,
    extra: Omit<NewOutboxEntry, 'room_id' | 'content'> = {},
  ): OutboxEntry {
    const entry = this.outbox.add({ room_id: roomId, content, ...extra });
    this.changed();
    void this.flush();
    return entry;
  }

  /** Sends a refused entry again (after the user fixed the cause, or for a refusal that may pass now). */
  retry(clientId: string): void {
    this.outbox.update(clientId, { state: 'pending', error: null });
    this.changed();
    void this.flush();
  }

  discard(clientId: string): void {
    this.outbox.remove(clientId);
    this.changed();
  }

  /** Typing indicator out (ephemeral: lost while disconnected, as it should be). */
  typing(roomId: string, isTyping: boolean): void {
    this.socket.send({ type: 'typing', room_id: roomId, is_typing: isTyping });
  }

  /** Sends the pending entries one at a time, in the order they were written. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const entry = this.outbox.list().find((candidate) => candidate.state === 'pending');
        if (!entry) return;
        if (!(await this.sendOne(entry))) return;
      }
    } finally {
      this.flushing = false;
    }
  }

  /** false: the service is unreachable or busy; the entry stays pending for a later flush */
  private async sendOne(entry: OutboxEntry): Promise<boolean> {
    this.outbox.update(entry.client_id, { state: 'sending' });
    this.changed();
    try {
      const message = await this.rest.sendMessage(entry.room_id, {
        content: entry.content,
        client_id: entry.client_id,
        ...(entry.reply_to ? { reply_to: entry.reply_to } : {}),
        ...(entry.attachment_id ? { attachment_id: entry.attachment_id } : {}),
      });
      this.outbox.remove(entry.client_id);
      this.changed();
      for (const listener of this.sentListeners) listener(entry, message);
      return true;
    } catch (error) {
      const refused = error instanceof ChatApiError && !error.retryable;
      if (refused || error instanceof ChatAuthError) {
        this.outbox.update(entry.client_id, { state: 'failed', error: describe(error as ChatError) });
        this.changed();
        return true;
      }
      this.outbox.update(entry.client_id, { state: 'pending' });
      this.changed();
      this.retryLater();
      return false;
    }
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, this.options.outboxRetryMs ?? 3_000);
  }

  private changed(): void {
    const entries = this.outbox.list();
    for (const listener of this.outboxListeners) listener(entries);
  }
}

function add<T>(set: Set<T>, listener: T): () => void {
  set.add(listener);
  return () => set.delete(listener);
}

function describe(error: ChatError): { code: string; message: string } {
  return { code: 'code' in error ? String(error.code) : 'error', message: error.message };
}
