// Messages the user sent that the service has not acknowledged yet. Each has a client id chosen once, so
// sending it again (after a reconnect, a reload, a retry) can never store it twice: the service answers a
// repeated client id with the original. Kept in a KeyValueStore so a page reload does not lose them.
import type { KeyValueStore } from './storage.ts';

export type OutboxEntry = {
  client_id: string;
  room_id: string;
  content: string;
  reply_to: string | null;
  attachment_id: string | null;
  created_at: string;
  /** pending: will be sent (again) when possible; failed: the service refused it (see error) */
  state: 'pending' | 'sending' | 'failed';
  error: { code: string; message: string } | null;
};

export type NewOutboxEntry = Pick<OutboxEntry, 'room_id' | 'content'> &
  Partial<Pick<OutboxEntry, 'reply_to' | 'attachment_id'>>;

export class Outbox {
  private entries: OutboxEntry[];
  private readonly store: KeyValueStore;
  private readonly key: string;

  constructor(store: KeyValueStore, key: string) {
    this.store = store;
    this.key = key;
    this.entries = load(store, key);
  }

  list(): readonly OutboxEntry[] {
    return this.entries;
  }

  add(entry: NewOutboxEntry): OutboxEntry {
    const added: OutboxEntry = {
      client_id: newClientId(),
      room_id: entry.room_id,
      content: entry.content,
      reply_to: entry.reply_to ?? null,
      attachment_id: entry.attachment_id ?? null,
      created_at: new Date().toISOString(),
      state: 'pending',
      error: null,
    };
    this.entries = [...this.entries, added];
    this.save();
    return added;
  }

  update(clientId: string, change: Partial<Pick<OutboxEntry, 'state' | 'error'>>): void {
    this.entries = this.entries.map((entry) =>
      entry.client_id === clientId ? { ...entry, ...change } : entry,
    );
    this.save();
  }

  remove(clientId: string): void {
    this.entries = this.entries.filter((entry) => entry.client_id !== clientId);
    this.save();
  }

  private save(): void {
    if (this.entries.length === 0) this.store.remove(this.key);
    else this.store.set(this.key, JSON.stringify(this.entries));
  }
}

function load(store: KeyValueStore, key: string): OutboxEntry[] {
  try {
    const entries = JSON.parse(store.get(key) ?? '[]') as OutboxEntry[];
    // a page closed mid-send: unknown whether it arrived, and the client id makes resending safe
    return entries.map((entry) => (entry.state === 'sending' ? { ...entry, state: 'pending' } : entry));
  } catch {
    return [];
  }
}

/**
 * A UUIDv7 (48 bits of Unix milliseconds, then random): the server derives a time-ordered message id from
 * it, which keeps its indexes' writes on their newest pages. getRandomValues also works on plain-http pages,
 * where randomUUID is missing.
 */
export function newClientId(now = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 0; i < 6; i++) bytes[i] = Math.floor(now / 2 ** (8 * (5 - i))) & 0xff;
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
