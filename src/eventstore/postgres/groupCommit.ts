// Group commit: appends that arrive while earlier ones are in flight wait and then go to the database
// together, in one statement and one transaction, so one commit (one WAL flush) serves many callers.
// At low load nothing waits: an append finds a free slot and runs alone at once. One append's failure is
// never its neighbours': a group the database refused for what one of them carries is split until each
// valid append has committed and only the bad one gets the error.

export type GroupCommitOptions<Request, Result> = {
  /** runs one group in one transaction; returns one result per request, in order */
  run(requests: Request[]): Promise<Result[]>;
  /** groups running at once (each holds a connection) */
  maxInFlight: number;
  /**
   * a group starts beside one already running only when at least this much weight waits: small requests
   * then gather into one group (one transaction does more) while large ones still run side by side
   * (default 0: any waiting request starts a group while a slot is free)
   */
  parallelWeight?: number;
  /** a group stops growing at this weight (say, events), but always takes at least one request */
  maxGroupWeight: number;
  weigh(request: Request): number;
  /**
   * requests with the same key (say, the stream) never share a group: a later one waits for a later
   * group, so requests with one key run in arrival order and a group's requests are independent
   */
  key(request: Request): string;
  /**
   * keys the request only reads (say, streams its append is conditioned on): it shares a group with other
   * readers of a key but never with a writer of it, whose write the group's reads would not see
   */
  readKeys?(request: Request): readonly string[];
  /**
   * whether a failed group may owe its failure to one of its requests (the database refused what one
   * carries) rather than to the database being out of reach. Such a group is split in halves and each half
   * run again (in the same slot, one after the other) down to single requests: every request that can
   * commit does, and only those that fail alone get their error. Only for failures that stored nothing of
   * the group (a statement that failed inside its transaction). Default: never, the whole group fails
   */
  splitOnFailure?(error: unknown): boolean;
};

type Waiting<Request, Result> = {
  request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
};

export function createGroupCommit<Request, Result>(options: GroupCommitOptions<Request, Result>) {
  const {
    run,
    maxInFlight,
    maxGroupWeight,
    weigh,
    key,
    readKeys = () => [],
    parallelWeight = 0,
    splitOnFailure = () => false,
  } = options;
  let queue: Waiting<Request, Result>[] = [];
  let queuedWeight = 0;
  let inFlight = 0;

  function takeGroup() {
    const group: Waiting<Request, Result>[] = [];
    const left: Waiting<Request, Result>[] = [];
    const seenKeys = new Set<string>(); // taken or left behind: either way, later ones with the key wait
    const groupKeys = new Set<string>();
    const groupReadKeys = new Set<string>();
    let weight = 0;
    for (const waiting of queue) {
      const requestKey = key(waiting.request);
      const requestReadKeys = readKeys(waiting.request);
      const requestWeight = weigh(waiting.request);
      const fits = group.length === 0 || weight + requestWeight <= maxGroupWeight;
      const conflicts =
        seenKeys.has(requestKey) ||
        groupReadKeys.has(requestKey) ||
        requestReadKeys.some((readKey) => groupKeys.has(readKey));
      if (fits && !conflicts) {
        group.push(waiting);
        groupKeys.add(requestKey);
        for (const readKey of requestReadKeys) groupReadKeys.add(readKey);
        weight += requestWeight;
      } else {
        left.push(waiting);
      }
      seenKeys.add(requestKey);
    }
    queue = left;
    queuedWeight -= weight;
    return group;
  }

  const mayStart = () =>
    queue.length > 0 && (inFlight === 0 || (inFlight < maxInFlight && queuedWeight >= parallelWeight));

  function pump() {
    while (mayStart()) {
      const group = takeGroup();
      inFlight++;
      void runGroup(group).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  /** Settles every request of the group: the requests of a group are independent, so any part may run alone. */
  async function runGroup(group: Waiting<Request, Result>[]): Promise<void> {
    let results: Result[];
    try {
      results = await run(group.map((waiting) => waiting.request));
    } catch (error) {
      if (group.length > 1 && splitOnFailure(error)) {
        const half = Math.ceil(group.length / 2);
        await runGroup(group.slice(0, half));
        await runGroup(group.slice(half));
        return;
      }
      // the transaction rolled back: nothing of the group was stored, each caller may retry
      for (const waiting of group) waiting.reject(error);
      return;
    }
    for (const [i, waiting] of group.entries()) waiting.resolve(results[i]!);
  }

  return {
    submit(request: Request): Promise<Result> {
      return new Promise((resolve, reject) => {
        queue.push({ request, resolve, reject });
        queuedWeight += weigh(request);
        pump();
      });
    },
  };
}
