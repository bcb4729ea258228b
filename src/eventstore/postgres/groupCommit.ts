// Group commit: appends that arrive while earlier ones are in flight wait and then go to the database
// together, in one statement and one transaction, so one commit (one WAL flush) serves many callers.
// At low load nothing waits: an append finds a free slot and runs alone at once.

export type GroupCommitOptions<Request, Result> = {
  /** runs one group in one transaction; returns one result per request, in order */
  run(requests: Request[]): Promise<Result[]>;
  /** groups running at once (each holds a connection) */
  maxInFlight: number;
  /** a group stops growing at this weight (say, events), but always takes at least one request */
  maxGroupWeight: number;
  weigh(request: Request): number;
};

type Waiting<Request, Result> = {
  request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
};

export function createGroupCommit<Request, Result>(options: GroupCommitOptions<Request, Result>) {
  const { run, maxInFlight, maxGroupWeight, weigh } = options;
  const queue: Waiting<Request, Result>[] = [];
  let inFlight = 0;

  function takeGroup() {
    let weight = weigh(queue[0]!.request);
    let size = 1;
    while (size < queue.length && weight + weigh(queue[size]!.request) <= maxGroupWeight) {
      weight += weigh(queue[size]!.request);
      size++;
    }
    return queue.splice(0, size);
  }

  function pump() {
    while (inFlight < maxInFlight && queue.length > 0) {
      const group = takeGroup();
      inFlight++;
      run(group.map((waiting) => waiting.request))
        .then(
          (results) => group.forEach((waiting, i) => waiting.resolve(results[i]!)),
          // the transaction rolled back: nothing of the group was stored, each caller may retry
          (error: unknown) => group.forEach((waiting) => waiting.reject(error)),
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  }

  return {
    submit(request: Request): Promise<Result> {
      return new Promise((resolve, reject) => {
        queue.push({ request, resolve, reject });
        pump();
      });
    },
  };
}
