// What the service counts for Prometheus (prom-client), one registry per thread: the main thread serves
// /metrics and asks the projector thread for its share (projectorThread.ts), summed with prom-client's
// AggregatorRegistry. On the hot paths only counters and histograms without ids in their labels: a label
// is a bounded set (route templates, socket kinds, projection and queue names), never a room or a user.
import type pg from 'pg';
import {
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';

export const registry = new Registry();

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpRequestSeconds = new Histogram({
  name: 'chat_http_request_duration_seconds',
  help: 'HTTP requests by method, route template and status, from receipt to the answer sent',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const openSockets = new Gauge({
  name: 'chat_websockets_open',
  help: 'WebSockets open on this node, by kind (room, user)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const framesReceived = new Counter({
  name: 'chat_websocket_frames_received_total',
  help: 'frames received from clients, by socket kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const framesSent = new Counter({
  name: 'chat_websocket_frames_sent_total',
  help: 'frames written to client sockets (deliveries included)',
  registers: [registry],
});

export const deliveries = new Counter({
  name: 'chat_feed_deliveries_total',
  help: 'feed frames delivered to sockets on this node (one per frame per socket)',
  registers: [registry],
});

export const fanoutLagSeconds = new Histogram({
  name: 'chat_fanout_lag_seconds',
  help: 'a chat_message from its creation (the append) to its arrival on this node from Redis',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const sendToDeliverySeconds = new Histogram({
  name: 'chat_send_to_delivery_seconds',
  help: 'a chat_message from its creation (the append) until this node has written it to its sockets',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const appendSeconds = new Histogram({
  name: 'chat_eventstore_append_duration_seconds',
  help: 'an append to the PostgreSQL event store, waiting for its group included',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const appendGroupSize = new Histogram({
  name: 'chat_eventstore_append_group_size',
  help: 'appends committed together in one transaction (group commit)',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  registers: [registry],
});

export const projectionBatchSeconds = new Histogram({
  name: 'chat_projection_batch_duration_seconds',
  help: 'a live projection batch, read-model writes and checkpoint in one transaction, by projection',
  labelNames: ['projection'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const projectionBatchEvents = new Histogram({
  name: 'chat_projection_batch_events',
  help: 'events per live projection batch, by projection',
  labelNames: ['projection'] as const,
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  registers: [registry],
});

export const jobsStalled = new Counter({
  name: 'chat_jobs_stalled_total',
  help: 'jobs BullMQ found stalled (their worker stopped renewing the lock), by queue',
  labelNames: ['queue'] as const,
  registers: [registry],
});

export const jobsFailed = new Counter({
  name: 'chat_jobs_failed_total',
  help: 'job attempts that failed in this process, by queue',
  labelNames: ['queue'] as const,
  registers: [registry],
});

const pools = new Map<string, pg.Pool>();
new Gauge({
  name: 'chat_db_pool_connections',
  help: 'PostgreSQL pool connections by process and state (total, idle, waiting clients, max)',
  labelNames: ['process', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [process, pool] of pools) {
      this.set({ process, state: 'total' }, pool.totalCount);
      this.set({ process, state: 'idle' }, pool.idleCount);
      this.set({ process, state: 'waiting' }, pool.waitingCount);
      this.set({ process, state: 'max' }, pool.options.max ?? 10);
    }
  },
});

/** The pool's connections in use, idle and waited for, under this process name. */
export function observePool(process: string, pool: pg.Pool): void {
  pools.set(process, pool);
}

type GaugeReading = { labels: Record<string, string>; value: number };
/** A gauge read when scraped (queue depths, projection lag): no work between scrapes. */
export function gaugeReadAtScrape(
  name: string,
  help: string,
  labelNames: readonly string[],
  read: () => Promise<GaugeReading[]>,
): void {
  registry.removeSingleMetric(name);
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { labels, value } of await read().catch(() => [])) this.set(labels, value);
    },
  });
}

/** Where a thread that is not the main one keeps its part of the metrics. */
export type MetricsSource = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;
const sources = new Set<MetricsSource>();
export function addMetricsSource(source: MetricsSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}
export const metricSources = (): MetricsSource[] => [...sources];
