// Turns a catch-up subscription (an object-mode stream.Readable, as @kurrent/kurrentdb-client returns) into the
// port's async iterable of batches. A projector commits one transaction per batch, so during catch-up it gets
// whatever is buffered (up to batchSize); live, a batch waits a few ms for company before it is handed out.

export type BatchOptions<In, Out> = {
  /** largest batch handed out at once */
  batchSize: number;
  /** how long a batch that has its first event waits to fill up */
  lingerMs: number;
  /** maps one source item; undefined drops it (system events, client-side filters) */
  map(item: In): Out | undefined;
  /** stops the source at its origin (the server-side subscription) */
  stop(): Promise<void>;
};

/** What we use of an object-mode Readable (the client's subscription type re-declares Readable's methods). */
export interface SubscriptionSource {
  on(event: 'data' | 'error' | 'end' | 'close', listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
  destroy(): unknown;
}

export type BatchedSubscription<Out> = AsyncIterable<Out[]> & { close(): Promise<void> };

/**
 * One consumer only. Ends when the source ends or `close()` is called; a source error is thrown from the
 * iterator after the batches already received. Breaking out of the loop closes the subscription too.
 */
export function batchSubscription<In, Out>(
  source: SubscriptionSource,
  options: BatchOptions<In, Out>,
): BatchedSubscription<Out> {
  const queue: Out[] = [];
  // Beyond this the source is paused (gRPC flow control then holds the server back): a slow projector must
  // not make the queue grow without bound.
  const highWater = options.batchSize * 2;
  let failure: unknown;
  let ended = false;
  let closed = false;
  let wake: (() => void) | undefined;

  const finished = () => closed || ended || failure !== undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  /** resolves on the next source event, or after timeoutMs */
  const changed = (timeoutMs?: number) =>
    new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  source.on('data', (item: In) => {
    if (finished()) return;
    try {
      const mapped = options.map(item);
      if (mapped !== undefined) queue.push(mapped);
    } catch (error) {
      failure = error;
    }
    if (queue.length >= highWater) source.pause();
    notify();
  });
  source.on('error', (error: unknown) => {
    failure ??= error;
    notify();
  });
  source.on('end', () => {
    ended = true;
    notify();
  });
  source.on('close', () => {
    ended = true;
    notify();
  });

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    queue.length = 0;
    notify();
    try {
      await options.stop();
    } finally {
      source.destroy();
    }
  }

  async function* batches(): AsyncGenerator<Out[]> {
    try {
      while (true) {
        while (queue.length === 0 && !finished()) await changed();
        if (closed) return;
        if (queue.length === 0) {
          if (failure !== undefined) throw failure;
          return;
        }
        const deadline = Date.now() + options.lingerMs;
        while (queue.length < options.batchSize && !finished()) {
          const remaining = deadline - Date.now();
          if (remaining <= 0) break;
          await changed(remaining);
        }
        if (closed) return;
        const batch = queue.splice(0, options.batchSize);
        if (source.isPaused() && queue.length < highWater) source.resume();
        yield batch;
      }
    } finally {
      await close();
    }
  }

  return { [Symbol.asyncIterator]: batches, close };
}
