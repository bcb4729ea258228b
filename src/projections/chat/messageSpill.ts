// A bulk rebuild folds the store in memory, and messages are nearly all of its rows: about 570 bytes of
// heap each, so ten million events would need gigabytes. Past a bound, the fold writes out the messages
// (and their edit history) that no later event can change any more, to files that the final COPY reads,
// and forgets them. Which ones those are is known exactly, not guessed: once the bound is first passed,
// one filtered read of the rest of the store finds, for every message, the last event that reads its row
// by id (MESSAGE_READERS); a message is final once the fold is past that event and it is no longer its
// room's last message (room frames read that one). Stores whose messages fit never spill.
//
// The files hold message text and names in clear as the fold has them (opened, when the store encrypts),
// so they are sealed with a key that only this process's memory holds: a rebuild killed before it could
// remove them (SIGKILL, out of memory, the machine going down) leaves bytes nobody can read, not copies
// of personal data that an erasure would never reach (docs/privacy.md).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EventStore, RecordedEvent } from '../../eventstore/eventStore.ts';
import { encodePosition } from '../../eventstore/eventStore.ts';
import type { BatchState } from './applyChatEvent.ts';
import { MESSAGE_READERS, messageReadBy } from './batchStore.ts';
import { copyLine, copyText } from './copyText.ts';

/** spilled rows are written in strings of about this many characters */
const WRITE_CHUNK_CHARS = 256 * 1024;

/** messages a rebuild holds in memory before it spills the final ones (about 0.6 GB of heap) */
export const DEFAULT_MESSAGES_IN_MEMORY = 1_000_000;

type SpilledTable = 'messages' | 'message_edits';

export type MessageSpillOptions = {
  eventStore: EventStore;
  /** encoded position the rebuild folds up to, inclusive */
  upTo: string;
  pageSize: number;
  /** messages held before spilling */
  limit: number;
  columns: Record<SpilledTable, readonly string[]>;
  /** where the spill's directory is made (default: the system's temporary directory) */
  directory?: string;
};

/** AES-256 in counter mode: the files are this process's own and short-lived, read once, in order */
const SPILL_CIPHER = 'aes-256-ctr';

/**
 * one spilled table's file: text goes in through `sealing`, which writes the file; `written` settles
 * when the file is closed (a failure of the file also fails `sealing`, so a writer waiting on it hears)
 */
type SpillFile = { path: string; iv: Buffer; sealing: Writable; file: WriteStream; written: Promise<void> };

export class MessageSpill {
  readonly #state: BatchState;
  readonly #options: MessageSpillOptions;
  /** message id → encoded position of the last event after the bound that reads it; built when first needed */
  #lastReads: Map<string, string> | null = null;
  #files: { dir: string; key: Buffer; streams: Record<SpilledTable, SpillFile> } | null = null;
  #sweepAt: number;

  constructor(state: BatchState, options: MessageSpillOptions) {
    this.#state = state;
    this.#options = options;
    this.#sweepAt = options.limit;
  }

  /** after a page is folded: spills what is final when the messages held pass the bound */
  async afterPage(last: RecordedEvent): Promise<void> {
    const { messages } = this.#state;
    if (messages.size <= this.#sweepAt) return;
    this.#lastReads ??= await this.#readsAfter(last);
    await this.#sweep(encodePosition(last.position));
    // messages still read later stay: do not sweep again before the bound's worth of new ones came
    this.#sweepAt = Math.max(this.#options.limit, messages.size + this.#options.limit / 2);
  }

  /** COPY text for `table`: what was spilled, then `rows` (the ones still in memory) */
  async *copyText(table: SpilledTable, rows: Iterable<object>): AsyncGenerator<string | Buffer> {
    if (this.#files) {
      const { path, iv, sealing, written } = this.#files.streams[table];
      sealing.end();
      await written;
      yield* createReadStream(path).pipe(createDecipheriv(SPILL_CIPHER, this.#files.key, iv));
    }
    yield* copyText(rows, this.#options.columns[table]);
  }

  async dispose(): Promise<void> {
    if (!this.#files) return;
    for (const { sealing, file } of Object.values(this.#files.streams)) {
      sealing.destroy();
      file.destroy();
    }
    await rm(this.#files.dir, { recursive: true, force: true });
  }

  async #readsAfter(last: RecordedEvent): Promise<Map<string, string>> {
    const { eventStore, upTo, pageSize } = this.#options;
    const reads = new Map<string, string>();
    const filter = { eventTypes: Object.keys(MESSAGE_READERS) };
    let from = last.position;
    for (;;) {
      const page = await eventStore.readAll({ fromPosition: from, limit: pageSize, filter });
      for (const event of page) {
        const position = encodePosition(event.position);
        if (position > upTo) return reads;
        reads.set(messageReadBy(event)!, position);
      }
      if (page.length < pageSize) return reads;
      from = page.at(-1)!.position;
    }
  }

  async #sweep(position: string): Promise<void> {
    const { messages, edits, rooms } = this.#state;
    const { columns } = this.#options;
    const lastReads = this.#lastReads!;
    const { streams } = await this.#openFiles();
    let messageLines = '';
    let editLines = '';
    for (const [id, message] of messages) {
      const lastRead = lastReads.get(id);
      if (lastRead !== undefined && lastRead > position) continue;
      if (rooms.get(message.room_id)?.last_message_id === id) continue;
      messageLines += copyLine(message, columns.messages);
      for (const edit of edits.get(id)?.rows ?? []) editLines += copyLine(edit, columns.message_edits);
      messages.delete(id);
      edits.delete(id);
      lastReads.delete(id);
      if (messageLines.length > WRITE_CHUNK_CHARS) {
        await write(streams.messages, messageLines);
        messageLines = '';
      }
      if (editLines.length > WRITE_CHUNK_CHARS) {
        await write(streams.message_edits, editLines);
        editLines = '';
      }
    }
    await write(streams.messages, messageLines);
    await write(streams.message_edits, editLines);
  }

  async #openFiles() {
    if (!this.#files) {
      const dir = await mkdtemp(join(this.#options.directory ?? tmpdir(), 'chat-rebuild-'));
      const key = randomBytes(32);
      const open = (name: string): SpillFile => {
        const path = join(dir, name);
        const iv = randomBytes(16);
        const sealing = createCipheriv(SPILL_CIPHER, key, iv);
        const file = createWriteStream(path, { mode: 0o600 });
        const written = pipeline(sealing, file);
        written.catch(() => {}); // awaited by copyText; until then a failure reaches the writer through sealing
        return { path, iv, sealing, file, written };
      };
      this.#files = {
        dir,
        key,
        streams: { messages: open('messages.copy'), message_edits: open('message_edits.copy') },
      };
    }
    return this.#files;
  }
}

/** writes with backpressure: waits for the stream to drain when its buffer is full */
async function write({ sealing }: SpillFile, text: string): Promise<void> {
  if (!sealing.write(text)) await once(sealing, 'drain');
}
