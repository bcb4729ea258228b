// The load generator: a separate process (forked by bench/realtime.ts) holding every client as a real
// WebSocket. Each step sends chat messages at a fixed total rate, round-robin over all clients, and measures
// on the receiving side: send -> delivery latency, deliveries, and per client which messages arrived (lost:
// expected but never seen; duplicated: seen twice). Messages carry "<index>|<send time>" as their text.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

export type GeneratorClient = { url: string; room: number; protocols?: string[] };
export type GeneratorConfig = {
  clients: GeneratorClient[];
  /** total messages/s per step, rising */
  rates: number[];
  stepSeconds: number;
  /** latency is also reported per window of this many seconds of sending, so that a drift shows */
  windowSeconds: number;
  /** how long to wait for the last deliveries of a step */
  drainMs: number;
  /** stop rising once a step's p99 passes this (ms) or loses messages */
  stopAboveP99Ms: number;
  connectConcurrency: number;
};
export type StepResult = {
  targetRate: number;
  sentPerSecond: number;
  deliveriesPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** send -> message_ack (durable in the store): NaN against the bare relay, which does not ack */
  ackP50: number;
  ackP99: number;
  sent: number;
  expectedDeliveries: number;
  delivered: number;
  lost: number;
  duplicated: number;
  errors: number;
  /**
   * by window of sending (windowSeconds each): a queue that never drains shows as a rising p99. Beside
   * each, the longest this generator's own event loop was held up in that window (ms): latency it
   * measured late itself, not the server's (it shares the machine's cores with the server under test)
   */
  windows: { p50: number; p99: number; delivered: number; generatorDelayMax: number }[];
};
export type GeneratorMessage =
  | { kind: 'connected'; clients: number; ms: number }
  | { kind: 'step-started'; rate: number }
  | { kind: 'step'; result: StepResult }
  | { kind: 'failed'; error: string };

type Client = {
  ws: WebSocket;
  room: number;
  /** indexes of messages this client received in the current step */
  seen: Set<number>;
};

const CONTENT = /"content":"(\d+)\|(\d+(?:\.\d+)?)"/;
// client ids as the client library makes them (UUIDv7: the time, then random bits), with the message's
// index in the last 12 hex digits so an acknowledgement names its message
const ACKED = /"client_id":"[0-9a-f-]{24}([0-9a-f]{12})"/;

function clientIdOf(index: number): string {
  const time = Date.now().toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8)}-7000-8000-${index.toString(16).padStart(12, '0')}`;
}

export async function connect(
  spec: GeneratorClient,
  onFrame: (client: Client, text: string) => void,
): Promise<Client> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<Client>((resolve, reject) => {
        const ws = new WebSocket(spec.url, spec.protocols, { perMessageDeflate: false });
        const client: Client = { ws, room: spec.room, seen: new Set() };
        ws.on('message', (data) => {
          const text = data.toString();
          if (text.startsWith('{"type":"connection_established"')) resolve(client);
          else onFrame(client, text);
        });
        ws.on('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
        ws.on('error', reject);
      });
    } catch (error) {
      // the projection may not have caught up with the room yet (4003): retry for a while
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function byWindow(
  latencies: number[],
  windowOf: number[],
  count: number,
  delays: number[],
): StepResult['windows'] {
  const samples = Array.from({ length: count }, () => [] as number[]);
  for (let i = 0; i < latencies.length; i++)
    samples[Math.min(count - 1, Math.max(0, windowOf[i]!))]!.push(latencies[i]!);
  return samples.map((window, i) => {
    const sorted = Float64Array.from(window).sort();
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      delivered: window.length,
      generatorDelayMax: delays[i] ?? Number.NaN,
    };
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(config: GeneratorConfig, report: (message: GeneratorMessage) => void) {
  let latencies: number[] = [];
  /** the sending window of each latency sample */
  let windowOf: number[] = [];
  let stepStartedAt = 0;
  const windowMs = config.windowSeconds * 1000;
  let ackLatencies: number[] = [];
  const sentAt = new Map<number, number>();
  let stepFirstIndex = 0;
  let nextIndex = 0;
  let duplicated = 0;
  let errors = 0;
  const onFrame = (client: Client, text: string) => {
    if (text.startsWith('{"type":"error"')) {
      errors++;
      return;
    }
    if (text.startsWith('{"type":"message_ack"')) {
      const index = Number.parseInt(ACKED.exec(text)?.[1] ?? '', 16);
      const at = sentAt.get(index);
      if (at !== undefined) ackLatencies.push(performance.now() - at);
      sentAt.delete(index);
      return;
    }
    const match = CONTENT.exec(text);
    if (!match || !text.startsWith('{"type":"chat_message"')) return;
    const index = Number(match[1]);
    if (index < stepFirstIndex) return; // a straggler from an earlier step
    if (client.seen.has(index)) duplicated++;
    else {
      client.seen.add(index);
      const sentAt = Number(match[2]);
      latencies.push(performance.now() - sentAt);
      windowOf.push(Math.floor((sentAt - stepStartedAt) / windowMs));
    }
  };

  const started = performance.now();
  const clients: Client[] = [];
  for (let i = 0; i < config.clients.length; i += config.connectConcurrency) {
    const batch = config.clients.slice(i, i + config.connectConcurrency);
    clients.push(...(await Promise.all(batch.map((spec) => connect(spec, onFrame)))));
  }
  report({ kind: 'connected', clients: clients.length, ms: Math.round(performance.now() - started) });
  const roomSize = new Map<number, number>();
  for (const client of clients) roomSize.set(client.room, (roomSize.get(client.room) ?? 0) + 1);

  // a first, unreported step at the lowest rate warms up the JIT, caches and connection pools
  const steps = [
    { rate: config.rates[0]!, report: false },
    ...config.rates.map((rate) => ({ rate, report: true })),
  ];
  for (const { rate, report: reported } of steps) {
    if (reported) report({ kind: 'step-started', rate });
    latencies = [];
    windowOf = [];
    ackLatencies = [];
    sentAt.clear();
    duplicated = 0;
    errors = 0;
    stepFirstIndex = nextIndex;
    for (const client of clients) client.seen.clear();
    let expected = 0;
    let cursor = 0;
    const stepStart = performance.now();
    stepStartedAt = stepStart;
    const stepMs = config.stepSeconds * 1000;
    // this process's event-loop delay, its longest per window of the step
    const delays: number[] = [];
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const takeDelay = () => {
      delays.push(delay.max / 1e6);
      delay.reset();
    };
    const windowTimer = setInterval(takeDelay, windowMs);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = Math.min(performance.now() - stepStart, stepMs);
        const due = Math.floor((elapsed / 1000) * rate) - (nextIndex - stepFirstIndex);
        for (let n = 0; n < due; n++) {
          const client = clients[cursor]!;
          cursor = (cursor + 1) % clients.length;
          const index = nextIndex++;
          expected += roomSize.get(client.room)!;
          const now = performance.now();
          sentAt.set(index, now);
          client.ws.send(
            `{"type":"chat_message","message":"${index}|${now.toFixed(3)}","client_id":"${clientIdOf(index)}"}`,
          );
        }
        if (elapsed >= stepMs) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    clearInterval(windowTimer);
    if (delays.length < Math.ceil(stepMs / windowMs)) takeDelay();
    delay.disable();
    const sent = nextIndex - stepFirstIndex;
    const sendSeconds = (performance.now() - stepStart) / 1000;
    const drainUntil = performance.now() + config.drainMs;
    while (latencies.length < expected && performance.now() < drainUntil) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const sorted = Float64Array.from(latencies).sort();
    const acks = Float64Array.from(ackLatencies).sort();
    const result: StepResult = {
      targetRate: rate,
      sentPerSecond: Math.round(sent / sendSeconds),
      deliveriesPerSecond: Math.round(latencies.length / sendSeconds),
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      ackP50: percentile(acks, 50),
      ackP99: percentile(acks, 99),
      sent,
      expectedDeliveries: expected,
      delivered: latencies.length,
      lost: expected - latencies.length,
      duplicated,
      errors,
      windows: byWindow(latencies, windowOf, Math.ceil(stepMs / windowMs), delays),
    };
    if (!reported) continue;
    report({ kind: 'step', result });
    if (result.p99 > config.stopAboveP99Ms || result.lost > 0) break;
  }
  for (const client of clients) client.ws.terminate();
}

if (process.send) {
  process.once('message', (config: GeneratorConfig) => {
    run(config, (message) => process.send!(message))
      .catch((error: unknown) => process.send!({ kind: 'failed', error: String(error) }))
      .finally(() => process.disconnect());
  });
}
