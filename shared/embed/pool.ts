/**
 * A bounded concurrency pool: at most `concurrency` tasks in flight, results in input order. The first failure
 * stops new tasks from starting and is rethrown after the running ones settle, so nothing is left writing behind
 * the caller's back.
 */
export async function runPool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async (): Promise<void> => {
    while (failure === null && next < items.length && !(signal?.aborted ?? false)) {
      const index = next;
      next += 1;
      try {
        results[index] = await task(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane);
  await Promise.all(lanes);
  if (failure !== null) throw (failure as { error: unknown }).error;
  if (signal?.aborted) throw signal.reason;
  return results;
}
