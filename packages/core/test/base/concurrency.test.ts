import { describe, expect, it } from 'vitest';
import { mapLimit, settleLimit } from '../../src/base/index.js';

/** A call that can be finished from outside, to control the order in which calls settle. */
interface Pending {
  item: number;
  resolve: (v: string) => void;
  reject: (e: Error) => void;
}

/** A controllable `fn` that records the calls started and the most in flight at once. */
function controlled() {
  const pending: Pending[] = [];
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fn = (item: number): Promise<string> => {
    started.push(item);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<string>((resolve, reject) => pending.push({ item, resolve, reject })).finally(() => inFlight--);
  };
  const tick = () => new Promise<void>((r) => setImmediate(r));
  const take = (item: number): Pending => {
    const i = pending.findIndex((p) => p.item === item);
    if (i < 0) throw new Error(`item ${item} is not in flight (in flight: ${pending.map((p) => p.item).join(',')})`);
    return pending.splice(i, 1)[0];
  };
  return { fn, pending, started, tick, take, stats: () => ({ inFlight, maxInFlight }) };
}

/** Finishes every call as it arrives, in reverse order of the calls in flight, until the run settles. */
async function drainReversed<T>(c: ReturnType<typeof controlled>, run: Promise<T>): Promise<T> {
  let done = false;
  const out = run.finally(() => (done = true));
  while (!done) {
    await c.tick();
    for (const p of c.pending.splice(0).reverse()) p.resolve(`r${p.item}`);
  }
  return out;
}

/** Both pools, seen through what they share. */
type Pool = <T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<unknown>) => Promise<unknown[]>;

/** A result of either pool as its value: mapLimit's as it is, settleLimit's fulfilled value or rejection reason. */
const valueOf = (r: unknown): unknown => {
  const s = r as PromiseSettledResult<unknown>;
  if (typeof r !== 'object' || r === null || !('status' in r)) return r;
  return s.status === 'fulfilled' ? s.value : s.reason;
};

describe.each<[string, Pool]>([
  ['mapLimit', mapLimit],
  ['settleLimit', settleLimit],
])('%s', (_name, pool) => {
  it('keeps at most `limit` calls in flight and starts items in input order', async () => {
    const c = controlled();
    const run = pool([0, 1, 2, 3, 4, 5, 6], 3, c.fn);
    await c.tick();
    expect(c.started).toEqual([0, 1, 2]);
    c.take(1).resolve('r1');
    await c.tick();
    expect(c.started).toEqual([0, 1, 2, 3]);
    await drainReversed(c, run);
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(c.stats().maxInFlight).toBe(3);
  });

  it('returns the results in input order whatever order the calls finish in', async () => {
    const c = controlled();
    const out = await drainReversed(c, pool([0, 1, 2, 3, 4], 2, c.fn));
    expect(out.map(valueOf)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('runs one at a time for a limit under 1, and returns [] for no items without calling fn', async () => {
    const c = controlled();
    const run = pool([0, 1], 0, c.fn);
    await c.tick();
    expect(c.started).toEqual([0]);
    await drainReversed(c, run);
    expect(c.stats().maxInFlight).toBe(1);
    await expect(pool([], 4, c.fn)).resolves.toEqual([]);
    expect(c.started).toEqual([0, 1]);
  });

  it('passes the index of each item', async () => {
    const seen: Array<[string, number]> = [];
    await pool(['a', 'b', 'c'], 2, async (item, i) => void seen.push([item, i]));
    expect(seen.sort()).toEqual([['a', 0], ['b', 1], ['c', 2]]);
  });
});

describe('mapLimit: all-or-nothing', () => {
  it('starts nothing after the first failure, lets the calls in flight settle, then throws the first failure', async () => {
    const c = controlled();
    let settled = false;
    const run = mapLimit([0, 1, 2, 3, 4], 2, c.fn).finally(() => (settled = true));
    run.catch(() => {});
    await c.tick();
    c.take(1).reject(new Error('first'));
    await c.tick();
    expect(c.started).toEqual([0, 1]);
    expect(settled).toBe(false); // item 0 is still in flight
    c.take(0).reject(new Error('second'));
    await expect(run).rejects.toThrow('first');
    expect(c.started).toEqual([0, 1]);
    expect(c.stats().inFlight).toBe(0);
  });

  it('throws a synchronous throw of fn like a rejection', async () => {
    await expect(
      mapLimit([1, 2], 1, (n) => {
        if (n === 1) throw new Error('sync');
        return Promise.resolve(n);
      }),
    ).rejects.toThrow('sync');
  });
});

describe('settleLimit: every item runs', () => {
  it('goes on after failures and reports each outcome in input order', async () => {
    const c = controlled();
    const run = settleLimit([0, 1, 2, 3], 2, c.fn);
    await c.tick();
    const e1 = new Error('one');
    c.take(1).reject(e1);
    await c.tick();
    const e0 = new Error('zero');
    c.take(0).reject(e0);
    const out = await drainReversed(c, run);
    expect(c.started).toEqual([0, 1, 2, 3]);
    expect(out).toEqual([
      { status: 'rejected', reason: e0 },
      { status: 'rejected', reason: e1 },
      { status: 'fulfilled', value: 'r2' },
      { status: 'fulfilled', value: 'r3' },
    ]);
  });
});
