/**
 * The one bounded pool of @d2/core: at most `limit` calls of `fn` in flight (at least one), items started in input
 * order, results in input order whatever order they finish in.
 */

/** The number of workers for `items` and `limit`: at least one, never more than there are items. */
function workerCount(items: number, limit: number): number {
  return Math.max(1, Math.min(limit, items));
}

/**
 * Maps `items` with at most `limit` calls in flight. All-or-nothing: after the first failure no further item is
 * started, the calls in flight settle, and the first failure is thrown.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: workerCount(items.length, limit) }, worker));
  if (failed) throw failed.error;
  return results;
}

/**
 * Runs `fn` over every item with at most `limit` calls in flight; a failure does not stop the others. One settled
 * result per item, in input order (as `Promise.allSettled`).
 */
export async function settleLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i], i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: workerCount(items.length, limit) }, worker));
  return results;
}
