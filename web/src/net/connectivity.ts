/**
 * Whether this page can reach the network and our server, from two kinds of evidence: the browser's own signal
 * (`navigator.onLine`, the `online`/`offline` events) and what real requests observe. The browser's signal is weak:
 * it says "online" on a network with no internet, and some Chromium builds keep saying "online" after a reload in an
 * offline context. So a claim of "online" is always checked with a probe of our own origin, and any request that
 * fails at the network level asks for a new probe.
 *
 * States:
 * - `online`: the last probe or request reached our origin.
 * - `offline`: the browser says so, or our own origin gave no HTTP answer at all (network error or no answer in time).
 * - `server-unreachable`: an answer came, but our server says it is failing (HTTP 5xx from /api): the network works.
 *
 * Framework-free: the UI subscribes (ui/online.ts). While not online it probes again with backoff, and on focus,
 * visibility and `online`.
 *
 *   const c = new Connectivity(deps); c.start();
 *   c.state; c.subscribe(fn); c.probe(); c.report(outcome, target)
 */

export type Reachability = 'online' | 'offline' | 'server-unreachable';

/** What a request saw: an HTTP answer that is fine, an HTTP answer that says the server fails, or none at all. */
export type RequestOutcome = 'ok' | 'server-error' | 'network-error';

/** Whose request it was: our API (same origin), or another service (an embedder, a chat endpoint). */
export type RequestTarget = 'api' | 'other';

export interface ConnectivityDeps {
  readonly fetch: typeof fetch;
  readonly browserOnline: () => boolean;
  /** Where `online`, `offline`, `focus` and `visibilitychange` are heard (window, and document for visibility). */
  readonly events: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  readonly visibility?: Pick<Document, 'addEventListener' | 'removeEventListener' | 'visibilityState'>;
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
  /** Our origin's cheapest route (GET, no body, no auth). */
  readonly probeUrl?: string;
  /** A probe with no answer by then counts as offline. */
  readonly probeTimeoutMs?: number;
  /** First wait before probing again while not online; doubles up to `maxRetryMs`. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

const DEFAULT_PROBE_URL = '/api/health';

export class Connectivity {
  private current: Reachability;
  private readonly listeners = new Set<(state: Reachability) => void>();
  private inFlight: Promise<Reachability> | null = null;
  private retryTimer: unknown = null;
  private retryDelay: number;
  private stopListening: (() => void) | null = null;

  constructor(private readonly deps: ConnectivityDeps) {
    this.current = deps.browserOnline() ? 'online' : 'offline';
    this.retryDelay = deps.retryMs ?? 5_000;
  }

  get state(): Reachability {
    return this.current;
  }

  subscribe(listener: (state: Reachability) => void): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }

  /** Listens to the browser and checks its first claim with a probe. */
  start(): void {
    if (this.stopListening) return;
    const onOffline = (): void => this.set('offline');
    const onHint = (): void => void this.probe();
    const onVisible = (): void => {
      if (this.deps.visibility?.visibilityState === 'visible' && this.current !== 'online') void this.probe();
    };
    const onFocus = (): void => {
      if (this.current !== 'online') void this.probe();
    };
    this.deps.events.addEventListener('offline', onOffline);
    this.deps.events.addEventListener('online', onHint);
    this.deps.events.addEventListener('focus', onFocus);
    this.deps.visibility?.addEventListener('visibilitychange', onVisible);
    this.stopListening = () => {
      this.deps.events.removeEventListener('offline', onOffline);
      this.deps.events.removeEventListener('online', onHint);
      this.deps.events.removeEventListener('focus', onFocus);
      this.deps.visibility?.removeEventListener('visibilitychange', onVisible);
    };
    void this.probe();
  }

  stop(): void {
    this.stopListening?.();
    this.stopListening = null;
    this.cancelRetry();
  }

  /**
   * Asks our origin once (concurrent callers share the answer). The browser saying "offline" is believed without a
   * request; "online" is not.
   */
  probe(): Promise<Reachability> {
    this.inFlight ??= this.runProbe().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /**
   * What one of the app's own requests saw. A network failure of any request asks for a probe (the probe decides
   * between "offline" and "that one service is down"); our API's answers are direct evidence about our server.
   */
  report(outcome: RequestOutcome, target: RequestTarget): void {
    if (outcome === 'network-error') {
      void this.probe();
    } else if (target === 'api') {
      this.set(outcome === 'ok' ? 'online' : 'server-unreachable');
    } else if (this.current === 'offline') {
      // Another service answered: the network is back, whatever our server says; a probe tells which state.
      void this.probe();
    }
  }

  private async runProbe(): Promise<Reachability> {
    if (!this.deps.browserOnline()) {
      this.set('offline');
      return this.current;
    }
    const controller = new AbortController();
    const timer = this.deps.setTimeout(() => controller.abort(), this.deps.probeTimeoutMs ?? 4_000);
    let next: Reachability;
    try {
      const response = await this.deps.fetch(this.deps.probeUrl ?? DEFAULT_PROBE_URL, {
        method: 'GET',
        cache: 'no-store',
        credentials: 'omit',
        signal: controller.signal,
      });
      // Any HTTP answer means the network works. Only our server saying it fails is "can't reach the server"; a 404
      // (a static host with no API, as in a self-hosted copy without sync) is still online.
      next = response.status >= 500 ? 'server-unreachable' : 'online';
    } catch {
      next = 'offline';
    } finally {
      this.deps.clearTimeout(timer);
    }
    this.set(next);
    return next;
  }

  private set(next: Reachability): void {
    if (next === 'online') {
      this.cancelRetry();
      this.retryDelay = this.deps.retryMs ?? 5_000;
    } else {
      this.scheduleRetry();
    }
    if (next === this.current) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || !this.stopListening) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.deps.maxRetryMs ?? 60_000);
    this.retryTimer = this.deps.setTimeout(() => {
      this.retryTimer = null;
      void this.probe();
    }, delay);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.deps.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}

/** How a fetch to another service ended, for `report` (a thrown fetch is a network error; 5xx a server error). */
export function outcomeOf(response: Response | null): RequestOutcome {
  if (response === null) return 'network-error';
  return response.status >= 500 ? 'server-error' : 'ok';
}
