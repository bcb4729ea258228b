// What a read model is to the runner: a named value with its version, its tables and a way to project a
// batch of events into them. The runner (projectionRunner.ts) gives each one its own checkpoint, its own
// generations (schemas swapped in by renaming, generations.ts), its own rebuild and status line; adding a
// read model is a folder that exports one of these and a line in registry.ts.
import type pg from 'pg';
import type { EventStore, RecordedEvent } from '../eventstore/eventStore.ts';
import type { FeedEntry, UserNotice } from './changeFeed.ts';

/** a pool or a client (inside a transaction) */
export type Db = pg.Pool | pg.ClientBase;

export type ReadModelTable = {
  name: string;
  /** its primary-key columns: the upsert target, and the order of a row-for-row comparison */
  primaryKey: readonly string[];
};

/** What one projected batch hands to realtime once it has committed. */
export type ProjectedBatch = {
  feed: readonly FeedEntry[];
  notices: readonly UserNotice[];
  /** called once the batch's transaction committed (the live projector keeps the rows it wrote) */
  committed?(): void;
};

export type BatchOptions<Cache> = {
  eventStore: EventStore;
  /** the live projector's rows from earlier batches of this lead term and generation; none in rebuilds */
  cache?: Cache;
};

export type BulkLoadOptions = {
  pool: pg.Pool;
  eventStore: EventStore;
  /** the rebuild's generation, its checkpoint (`checkpoint`) at 0 */
  schema: string;
  checkpoint: string;
  /** encoded position to load up to, inclusive */
  upTo: string;
  pageSize: number;
  /** how many of its rows the load may hold in memory before it writes out final ones (its default if unset) */
  rowsInMemory?: number;
  /** where it writes them (sealed: chat/messageSpill.ts); the system's temporary directory if unset */
  spillDirectory?: string;
  /** how much COPY text one of its transactions loads, in bytes (its default if unset) */
  transactionBytes?: number;
  signal: AbortSignal;
  /** frames after this position are built for publishing (handed to onPage); null: none are */
  publishAfter: string | null;
  /** after each page: its events and the frames they produced (as published live) */
  onPage(events: RecordedEvent[], feed: readonly FeedEntry[]): Promise<void>;
};

export interface Projection<Cache = unknown> {
  /** checkpoint row, status line and CLI argument */
  readonly name: string;
  /** bump when the output changes (tables, columns, frames): the next start rebuilds this projection alone */
  readonly version: number;
  /** the schema queries read; the live generation is renamed to it */
  readonly readSchema: string;
  readonly tables: readonly ReadModelTable[];
  /** CREATE TABLE statements for a generation's schema (the one declared place of this model's DDL) */
  tablesSql(schema: string): string;
  /** CREATE INDEX statements no batch write needs, built once after a rebuild's load (each on its own) */
  indexesSql(schema: string): readonly string[];
  /** events of other types never reach projectBatch (they still move the checkpoint) */
  handles(eventType: string): boolean;
  /**
   * the types it handles, when they are few: the live subscription then asks the store for these only,
   * instead of reading every event to skip most of them
   */
  eventTypes?: readonly string[];
  /**
   * how late after an append this read model may show it (ms): the runner reads the store for it at most
   * this often once caught up, so a background model costs few reads under load. Default: at once
   */
  maxLagMs?: number;
  /** projects a batch into generation `schema`, inside the caller's transaction (which moves the checkpoint) */
  projectBatch(
    client: pg.ClientBase,
    schema: string,
    events: readonly RecordedEvent[],
    options: BatchOptions<Cache>,
  ): Promise<ProjectedBatch>;
  /** rows kept between live batches; one per lead term and generation, dropped when a batch fails */
  createCache?(): Cache;
  /**
   * a faster rebuild from position 0 than batch after batch: it empties the generation's tables, loads
   * them in short transactions and moves `checkpoint` to where it stopped last. Null: aborted, with the
   * checkpoint still at 0
   */
  bulkLoad?(options: BulkLoadOptions): Promise<{ position: string; events: number } | null>;
}
