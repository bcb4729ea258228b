// A bulk rebuild folds the store in memory, and messages are nearly all of its rows: about 570 bytes of
// heap each, so ten million events would need gigabytes. Past a bound, the fold writes out the messages
// (and their edit history) that no later event can change any more, to files that the final COPY reads,
// and forgets them. Which ones those are is known exactly, not guessed: once the bound is first passed,
// one filtered read of the rest of the store finds, for every message, the last event that reads its row
// by id (MESSAGE_READERS); a message is final once the fold is past that event and it is no longer its
// room's last message (room frames read that one). Stores whose messages fit never spill.
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
};

export class MessageSpill {
  readonly #state: BatchState;
  readonly #options: MessageSpillOptions;
  /** message id → encoded position of the last event after the bound that reads it; built when first needed */
  #lastReads: Map<string, string> | null = null;
  #files: { dir: string; streams: Record<SpilledTable, WriteStream> } | null = null;
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
      const stream = this.#files.streams[table];
      stream.end();
      await once(stream, 'close');
      yield* createReadStream(stream.path);
    }
    yield* copyText(rows, this.#options.columns[table]);
  }

  async dispose(): Promise<void> {
    if (!this.#files) return;
    for (const stream of Object.values(this.#files.streams)) stream.destroy();
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
      const dir = await mkdtemp(join(tmpdir(), 'chat-rebuild-'));
      this.#files = {
        dir,
        streams: {
          messages: createWriteStream(join(dir, 'messages.copy')),
          message_edits: createWriteStream(join(dir, 'message_edits.copy')),
        },
      };
    }
    return this.#files;
  }
}

/** writes with backpressure: waits for the stream to drain when its buffer is full */
async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}
