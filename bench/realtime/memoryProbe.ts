// What a benchmark's server process holds, as found and once its garbage is gone. Resident memory read from
// outside counts what V8 has not collected yet: the young generation grows to what the connecting burst
// allocated (up to three times --max-semi-space-size, which `npm start` sets to 64 MB) and keeps that size
// while the server is idle, and the projector thread's heap holds the garbage of projecting the rooms. A
// server started with `inspectorOptions(port)` is read over the V8 inspector (the DevTools protocol):
// every thread's heap as found, then after a full collection in every thread (the projector thread's too,
// through the NodeWorker domain), then the process's resident memory.
import { readFile } from 'node:fs/promises';
import { WebSocket } from 'ws';

/** one thread's V8 heap: what live objects take and what V8 keeps committed (the young generation apart) */
type HeapFigures = {
  heapUsed: number;
  heapTotal: number;
  newSpace: number;
  external: number;
  arrayBuffers: number;
};

export type MemoryReading = {
  /** resident memory (VmRSS) */
  rss: number;
  main: HeapFigures;
  /** the worker threads' heaps together (the projector thread) */
  workers: HeapFigures;
};

/** the Node options that open the inspector on a loopback port */
export const inspectorOptions = (port: number) => [`--inspect=127.0.0.1:${port}`];

/** VmRSS of a process, from /proc */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

const HEAP_EXPRESSION = `(() => {
  const usage = process.memoryUsage();
  const newSpace = process.getBuiltinModule('v8').getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith('new'))
    .reduce((sum, space) => sum + space.space_size, 0);
  return JSON.stringify({ heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, newSpace,
    external: usage.external, arrayBuffers: usage.arrayBuffers });
})()`;

type Reply = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: unknown;
};

/** One DevTools session on the main thread, with the sessions of the worker threads inside it. */
class InspectorSession {
  private readonly ws: WebSocket;
  private nextId = 0;
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  readonly workers: string[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => this.received(JSON.parse(data.toString()) as Reply, 'main'));
  }

  static async open(inspectorPort: number): Promise<InspectorSession> {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const session = new InspectorSession(ws);
    // the workers already running attach at once: their events come before this call's answer
    await session.call('main', 'NodeWorker.enable', { waitForDebuggerOnStart: false });
    return session;
  }

  private received(reply: Reply, from: string) {
    if (reply.method === 'NodeWorker.attachedToWorker') {
      this.workers.push(reply.params!.sessionId as string);
    } else if (reply.method === 'NodeWorker.receivedMessageFromWorker') {
      const inner = JSON.parse(reply.params!.message as string) as Reply;
      this.received(inner, reply.params!.sessionId as string);
    } else if (reply.id !== undefined) {
      const key = `${from}:${reply.id}`;
      this.waiting.get(key)?.(reply);
      this.waiting.delete(key);
    }
  }

  /** a DevTools method on the main thread ('main') or on the worker of that session id */
  call(thread: string, method: string, params: object = {}): Promise<unknown> {
    const id = ++this.nextId;
    const message = JSON.stringify({ id, method, params });
    return new Promise((resolve, reject) => {
      this.waiting.set(`${thread}:${id}`, (reply) =>
        reply.error ? reject(new Error(`${method}: ${JSON.stringify(reply.error)}`)) : resolve(reply.result),
      );
      if (thread === 'main') this.ws.send(message);
      else
        this.ws.send(
          JSON.stringify({
            id: ++this.nextId,
            method: 'NodeWorker.sendMessageToWorker',
            params: { sessionId: thread, message },
          }),
        );
    });
  }

  async heap(thread: string): Promise<HeapFigures> {
    const answer = (await this.call(thread, 'Runtime.evaluate', {
      expression: HEAP_EXPRESSION,
      returnByValue: true,
    })) as { result: { value: string } };
    return JSON.parse(answer.result.value) as HeapFigures;
  }

  close() {
    this.ws.close();
  }
}

const sum = (heaps: HeapFigures[]): HeapFigures => ({
  heapUsed: heaps.reduce((total, heap) => total + heap.heapUsed, 0),
  heapTotal: heaps.reduce((total, heap) => total + heap.heapTotal, 0),
  newSpace: heaps.reduce((total, heap) => total + heap.newSpace, 0),
  external: heaps.reduce((total, heap) => total + heap.external, 0),
  arrayBuffers: heaps.reduce((total, heap) => total + heap.arrayBuffers, 0),
});

/** the process's memory as found, then after a full collection in every thread */
export async function readMemory(
  pid: number,
  inspectorPort: number,
): Promise<{ found: MemoryReading; collected: MemoryReading }> {
  const session = await InspectorSession.open(inspectorPort);
  try {
    const read = async (): Promise<MemoryReading> => {
      const main = await session.heap('main');
      const workers = sum(await Promise.all(session.workers.map((worker) => session.heap(worker))));
      return { rss: await residentBytes(pid), main, workers };
    };
    const found = await read();
    for (const thread of ['main', ...session.workers]) {
      // twice: what finalizers and weak references kept through the first goes in the second
      await session.call(thread, 'HeapProfiler.collectGarbage');
      await session.call(thread, 'HeapProfiler.collectGarbage');
    }
    return { found, collected: await read() };
  } finally {
    session.close();
  }
}
