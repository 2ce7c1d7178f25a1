/**
 * When sync runs (C24): after a local change, debounced (each change restarts the wait); at once on `online`, on
 * focus and when the page becomes visible; every minute while it is visible; and on "Sync now". One run at a time:
 * a trigger during a run asks for one more run after it. Nothing runs while the browser says it is offline (the
 * engine would only back off); `online` starts it again. The host (timers, page events) is injected so tests drive
 * it with fake timers.
 *
 *   new SyncScheduler(run: (reason) => Promise<void>, host: SchedulerHost, timing?: SchedulerTiming)
 *   .start(), .stop(), .trigger(reason, delayMs?), .holdUntil(epochMs)
 *   browserSchedulerHost(onLocalChange): SchedulerHost
 */
export interface SchedulerTiming {
  debounceMs: number;
  periodicMs: number;
}

export const DEFAULT_TIMING: SchedulerTiming = { debounceMs: 1000, periodicMs: 60_000 };

export type TriggerReason = 'local-change' | 'online' | 'focus' | 'visible' | 'periodic' | 'start' | 'manual' | 'other-tab';

export interface SchedulerHost {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  visible(): boolean;
  online(): boolean;
  /** Subscribes to the page's events and to local changes; returns the unsubscribe. */
  listen(handlers: { localChange(): void; online(): void; focus(): void; visible(): void }): () => void;
}

export class SyncScheduler {
  private timer: { handle: unknown; at: number } | null = null;
  private running = false;
  private again: TriggerReason | null = null;
  private stopListening: (() => void) | null = null;
  /** C15: the server asked for a long wait (Retry-After); automatic runs wait until then, "Sync now" does not. */
  private heldUntil = 0;

  constructor(
    private readonly run: (reason: TriggerReason) => Promise<void>,
    private readonly host: SchedulerHost,
    private readonly timing: SchedulerTiming = DEFAULT_TIMING,
    private readonly now: () => number = () => Date.now(),
  ) {}

  start(): void {
    if (this.stopListening !== null) return;
    this.stopListening = this.host.listen({
      localChange: () => this.trigger('local-change', this.timing.debounceMs, true),
      online: () => this.trigger('online'),
      focus: () => this.trigger('focus'),
      visible: () => this.trigger('visible'),
    });
    this.trigger('start');
  }

  stop(): void {
    this.stopListening?.();
    this.stopListening = null;
    this.cancelTimer();
  }

  /**
   * Runs after `delayMs`. A sooner trigger replaces a later one; `debounce` restarts the wait instead (each local
   * change pushes the run back, so typing does not sync on every key).
   */
  trigger(reason: TriggerReason, delayMs = 0, debounce = false): void {
    const now = this.now();
    if (reason !== 'manual' && this.heldUntil > now + delayMs) delayMs = this.heldUntil - now;
    const at = now + delayMs;
    if (this.timer !== null && !debounce && this.timer.at <= at) return;
    this.cancelTimer();
    const handle = this.host.setTimeout(() => {
      this.timer = null;
      void this.fire(reason);
    }, delayMs);
    this.timer = { handle, at };
  }

  /** No automatic run before `at` (epoch ms): a run already due is moved there. "Sync now" still runs at once. */
  holdUntil(at: number): void {
    this.heldUntil = Math.max(this.heldUntil, at);
    if (this.timer !== null && this.timer.at < at && this.stopListening !== null) this.trigger('periodic', at - this.now(), true);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.host.clearTimeout(this.timer.handle);
    this.timer = null;
  }

  private async fire(reason: TriggerReason): Promise<void> {
    if (this.stopListening === null) return;
    // A hidden page does not poll; becoming visible triggers a run.
    if (reason === 'periodic' && !this.host.visible()) return;
    if (this.running) {
      this.again = reason;
      return;
    }
    if (!this.host.online()) return;
    this.running = true;
    try {
      await this.run(reason);
    } catch {
      // The run reports its own failures (state, history); the schedule goes on.
    } finally {
      this.running = false;
    }
    const again = this.again;
    this.again = null;
    if (again !== null) this.trigger(again);
    else if (this.host.visible() && this.timer === null) this.trigger('periodic', this.timing.periodicMs);
  }
}

export function browserSchedulerHost(onLocalChange: (listener: () => void) => () => void): SchedulerHost {
  return {
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (handle) => window.clearTimeout(handle as number),
    visible: () => document.visibilityState === 'visible',
    online: () => navigator.onLine !== false,
    listen: (handlers) => {
      const onVisibility = (): void => {
        if (document.visibilityState === 'visible') handlers.visible();
      };
      const onOnline = (): void => handlers.online();
      const onFocus = (): void => handlers.focus();
      window.addEventListener('online', onOnline);
      window.addEventListener('focus', onFocus);
      document.addEventListener('visibilitychange', onVisibility);
      const unsubscribe = onLocalChange(() => handlers.localChange());
      return () => {
        window.removeEventListener('online', onOnline);
        window.removeEventListener('focus', onFocus);
        document.removeEventListener('visibilitychange', onVisibility);
        unsubscribe();
      };
    },
  };
}
