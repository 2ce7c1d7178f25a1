// C24: when the app syncs. The scheduler with fake timers and a host whose page events the test fires.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SyncScheduler, type SchedulerHost, type TriggerReason } from '../../web/src/sync/scheduler';

function harness(options: { runMs?: number } = {}) {
  const page = { visible: true, online: true };
  let handlers: Parameters<SchedulerHost['listen']>[0] | null = null;
  const host: SchedulerHost = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    visible: () => page.visible,
    online: () => page.online,
    listen: (h) => {
      handlers = h;
      return () => (handlers = null);
    },
  };
  const runs: { reason: TriggerReason; at: number }[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const scheduler = new SyncScheduler(
    async (reason) => {
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      runs.push({ reason, at: Date.now() });
      await new Promise((r) => setTimeout(r, options.runMs ?? 10));
      concurrent -= 1;
    },
    host,
    { debounceMs: 1000, periodicMs: 60_000 },
  );
  return { scheduler, page, runs, fire: () => handlers!, maxConcurrent: () => maxConcurrent };
}

describe('C24: sync triggers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => vi.useRealTimers());

  it('C24: runs at start, then every 60 s while visible, and not while hidden until the page is visible again', async () => {
    const h = harness();
    h.scheduler.start();
    await vi.advanceTimersByTimeAsync(20);
    expect(h.runs.map((r) => r.reason)).toEqual(['start']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.runs.map((r) => r.reason)).toEqual(['start', 'periodic']);
    h.page.visible = false;
    await vi.advanceTimersByTimeAsync(180_000);
    expect(h.runs).toHaveLength(2);
    h.page.visible = true;
    h.fire().visible();
    await vi.advanceTimersByTimeAsync(20);
    expect(h.runs.map((r) => r.reason)).toEqual(['start', 'periodic', 'visible']);
    h.scheduler.stop();
  });

  it('C24: local changes are debounced about 1 s: a burst of edits is one sync, 1 s after the last edit', async () => {
    const h = harness();
    h.scheduler.start();
    await vi.advanceTimersByTimeAsync(20);
    for (let i = 0; i < 5; i++) {
      h.fire().localChange();
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(h.runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(h.runs.map((r) => r.reason)).toEqual(['start', 'local-change']);
    expect(h.runs[1]!.at).toBeGreaterThanOrEqual(20 + 5 * 500 - 500 + 1000);
    h.scheduler.stop();
  });

  it('C24: online and focus run at once; offline runs nothing; a trigger during a run makes exactly one more run, never two at once', async () => {
    const h = harness({ runMs: 5000 });
    h.page.online = false;
    h.scheduler.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.runs).toHaveLength(0);
    h.page.online = true;
    h.fire().online();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.runs.map((r) => r.reason)).toEqual(['online']);
    h.fire().focus();
    h.fire().localChange();
    await vi.advanceTimersByTimeAsync(1500);
    h.fire().focus();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(h.maxConcurrent()).toBe(1);
    // Three triggers during the first run: one more run after it, then only the minute's poll.
    expect(h.runs.map((r) => r.reason)).toEqual(['online', 'focus']);
    expect(h.runs[1]!.at).toBeGreaterThanOrEqual(5000);
    h.scheduler.stop();
    const before = h.runs.length;
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.runs.length).toBe(before);
  });
  it('C15, C24: after a long Retry-After no automatic sync runs before the time the server gave; "Sync now" still does', async () => {
    const h = harness();
    h.scheduler.start();
    await vi.advanceTimersByTimeAsync(20);
    h.scheduler.holdUntil(600_000);
    h.fire().focus();
    h.fire().online();
    h.fire().localChange();
    await vi.advanceTimersByTimeAsync(590_000);
    expect(h.runs.map((r) => r.reason)).toEqual(['start']);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(h.runs).toHaveLength(2);
    expect(h.runs[1]!.at).toBe(600_000);
    h.scheduler.holdUntil(1_200_000);
    h.scheduler.trigger('manual');
    await vi.advanceTimersByTimeAsync(20);
    expect(h.runs.map((r) => r.reason).at(-1)).toBe('manual');
    expect(h.runs.at(-1)!.at).toBeLessThan(700_000);
    h.scheduler.stop();
  });
});
