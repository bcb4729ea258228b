import { describe, expect, it } from 'vitest';
import { createGroupCommit } from './groupCommit.ts';

/** A run() whose calls stay pending until the test settles them. */
function controlledRun() {
  const calls: { requests: number[]; settle(error?: Error): void }[] = [];
  const run = (requests: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        requests,
        settle: (error) => (error ? reject(error) : resolve(requests.map((r) => `done ${r}`))),
      });
    });
  return { calls, run };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** One slot: completes the running group, one at a time, until every submitted request has run. */
async function groupsOf(
  requests: number[],
  options: { maxGroupWeight: number; key(n: number): string; readKeys?(n: number): string[] },
) {
  const { calls, run } = controlledRun();
  const group = createGroupCommit({ run, maxInFlight: 1, weigh: (n: number) => n, ...options });
  const results = Promise.all(requests.map((n) => group.submit(n)));
  while (calls.reduce((sum, call) => sum + call.requests.length, 0) < requests.length) {
    calls.at(-1)!.settle();
    await flush();
  }
  calls.at(-1)!.settle();
  await results;
  return calls.map((call) => call.requests);
}

describe('group commit', () => {
  it('runs an append alone when a slot is free, and groups those that arrive while all slots are busy', async () => {
    const { calls, run } = controlledRun();
    const group = createGroupCommit({
      run,
      maxInFlight: 2,
      maxGroupWeight: 100,
      weigh: () => 1,
      key: String,
    });
    const results = [1, 2, 3, 4, 5].map((n) => group.submit(n));
    expect(calls.map((c) => c.requests)).toEqual([[1], [2]]);
    calls[0]!.settle();
    await flush();
    expect(calls.map((c) => c.requests)).toEqual([[1], [2], [3, 4, 5]]);
    calls[1]!.settle();
    calls[2]!.settle();
    expect(await Promise.all(results)).toEqual(['done 1', 'done 2', 'done 3', 'done 4', 'done 5']);
  });

  it('starts a second group beside a running one only once enough weight waits', async () => {
    const { calls, run } = controlledRun();
    const group = createGroupCommit({
      run,
      maxInFlight: 2,
      parallelWeight: 10,
      maxGroupWeight: 100,
      weigh: (n: number) => n,
      key: String,
    });
    const results = [1, 2, 3, 4].map((n) => group.submit(n));
    // 2 + 3 + 4 = 9 waiting: they wait for the running group rather than start a transaction of their own
    expect(calls.map((c) => c.requests)).toEqual([[1]]);
    results.push(group.submit(5)); // 14 waiting: a second group runs beside the first
    expect(calls.map((c) => c.requests)).toEqual([[1], [2, 3, 4, 5]]);
    results.push(group.submit(6)); // 6 waiting
    calls[0]!.settle();
    await flush();
    // one group still runs and 6 is too light to start another beside it
    expect(calls.map((c) => c.requests)).toEqual([[1], [2, 3, 4, 5]]);
    calls[1]!.settle();
    await flush();
    expect(calls.map((c) => c.requests)).toEqual([[1], [2, 3, 4, 5], [6]]);
    calls[2]!.settle();
    expect(await Promise.all(results)).toHaveLength(6);
  });

  it('stops a group at the weight limit, lets a lighter request fill it, and always takes one', async () => {
    const groups = await groupsOf([1, 4, 5, 2, 30, 3], { maxGroupWeight: 10, key: String });
    expect(groups).toEqual([[1], [4, 5], [2, 3], [30]]);
  });

  it('never puts two requests with one key in a group, and keeps their order', async () => {
    const groups = await groupsOf([1, 2, 11, 3, 21, 12, 4], {
      maxGroupWeight: 100,
      key: (n) => String(n % 10),
    });
    expect(groups).toEqual([[1], [2, 11, 3, 4], [21, 12]]);
  });

  it('groups readers of a key together, but never with a writer of that key', async () => {
    // 0 writes the room; 10 and up only read it (appends conditioned on the room stream)
    const options = {
      maxGroupWeight: 100,
      key: (n: number) => (n === 0 ? 'room' : String(n)),
      readKeys: (n: number) => (n >= 10 ? ['room'] : []),
    };
    expect(await groupsOf([1, 10, 11, 0, 12, 2], options)).toEqual([[1], [10, 11, 12, 2], [0]]);
    expect(await groupsOf([1, 0, 10, 11], options)).toEqual([[1], [0], [10, 11]]);
  });

  it('a failed group rejects every append in it and only those', async () => {
    const { calls, run } = controlledRun();
    const group = createGroupCommit({
      run,
      maxInFlight: 1,
      maxGroupWeight: 100,
      weigh: () => 1,
      key: String,
    });
    const first = group.submit(1);
    const grouped = Promise.allSettled([group.submit(2), group.submit(3)]);
    calls[0]!.settle();
    await flush();
    const later = group.submit(4);
    calls[1]!.settle(new Error('connection lost'));
    await flush();
    calls[2]!.settle();
    expect(await first).toBe('done 1');
    expect((await grouped).map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
      'connection lost',
      'connection lost',
    ]);
    expect(await later).toBe('done 4');
  });
});

describe('group commit: one append refused by the database', () => {
  class Refused extends Error {}
  /**
   * A database that refuses a whole group when it holds a negative request (its data), or fails when it is
   * down; `committed` lists what the successful runs stored. The first run waits for `open()`, so that
   * the requests submitted meanwhile gather into one group behind it.
   */
  function database(options: { down?: boolean } = {}) {
    const calls: number[][] = [];
    const committed: number[] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const run = async (requests: number[]) => {
      if (calls.push(requests) === 1) await gate;
      if (options.down) throw new Error('connection terminated');
      if (requests.some((n) => n < 0)) throw new Refused(`refused ${requests.filter((n) => n < 0)}`);
      committed.push(...requests);
      return requests.map((n) => `done ${n}`);
    };
    const group = createGroupCommit({
      run,
      maxInFlight: 1,
      maxGroupWeight: 100,
      weigh: () => 1,
      key: String,
      splitOnFailure: (error) => error instanceof Refused,
    });
    return { calls, committed, open, group };
  }

  const outcome = (settled: PromiseSettledResult<string>) =>
    settled.status === 'fulfilled' ? settled.value : (settled.reason as Error).message;

  it('commits every other append of its group once, and only the refused one fails', async () => {
    const { calls, committed, open, group } = database();
    const first = group.submit(0);
    const grouped = Promise.allSettled([1, 2, -3, 4, 5, 6, 7].map((n) => group.submit(n)));
    open();
    expect(await first).toBe('done 0');
    expect((await grouped).map(outcome)).toEqual([
      'done 1',
      'done 2',
      'refused -3',
      'done 4',
      'done 5',
      'done 6',
      'done 7',
    ]);
    expect(committed.sort()).toEqual([0, 1, 2, 4, 5, 6, 7]);
    // halves, not one run per append: the half without the refused one commits at once
    expect(calls).toEqual([
      [0],
      [1, 2, -3, 4, 5, 6, 7],
      [1, 2, -3, 4],
      [1, 2],
      [-3, 4],
      [-3],
      [4],
      [5, 6, 7],
    ]);
  });

  it('gives each of several refused appends its own error', async () => {
    const { committed, open, group } = database();
    const first = group.submit(0);
    const grouped = Promise.allSettled([-1, 2, 3, -4, -5, 6].map((n) => group.submit(n)));
    open();
    await first;
    expect((await grouped).map(outcome)).toEqual([
      'refused -1',
      'done 2',
      'done 3',
      'refused -4',
      'refused -5',
      'done 6',
    ]);
    expect(committed.sort()).toEqual([0, 2, 3, 6]);
  });

  it('appends that arrive while a group is being split wait for it, then run', async () => {
    const { committed, open, group } = database();
    const first = group.submit(0);
    const grouped = Promise.allSettled([1, -2, 3].map((n) => group.submit(n)));
    open();
    const later = group.submit(8);
    await first;
    expect((await grouped).map(outcome)).toEqual(['done 1', 'refused -2', 'done 3']);
    expect(await later).toBe('done 8');
    expect(committed.sort()).toEqual([0, 1, 3, 8]);
  });

  it('a failure that is not an append’s (the database out of reach) fails the whole group, unsplit', async () => {
    const { calls, committed, open, group } = database({ down: true });
    const grouped = Promise.allSettled([0, 1, 2, 3].map((n) => group.submit(n)));
    open();
    expect((await grouped).map(outcome)).toEqual(Array(4).fill('connection terminated'));
    expect(calls).toEqual([[0], [1, 2, 3]]);
    expect(committed).toEqual([]);
  });
});
