/**
 * Connectivity from the browser's signal and from what requests observe, against a real local HTTP server standing
 * in for our origin: an answer means online, a 5xx from our API means "can't reach the server", no answer (closed
 * port, or silence past the probe deadline) means offline, whatever `navigator.onLine` claims.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Connectivity, type Reachability } from '../../web/src/net/connectivity';

type Mode = 'ok' | 'failing' | 'no-api' | 'silent';
let mode: Mode = 'ok';
let probes = 0;
let server: Server;
let origin = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    probes += 1;
    if (mode === 'silent') return; // never answers
    if (mode === 'failing') res.writeHead(503, { 'content-type': 'application/json' }).end('{"ok":false}');
    else if (mode === 'no-api') res.writeHead(404).end('not here');
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});

const started: Connectivity[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.stop();
  mode = 'ok';
  probes = 0;
});

function make(options: { browserOnline?: () => boolean; probeUrl?: string; retryMs?: number } = {}): { c: Connectivity; events: EventTarget; seen: Reachability[] } {
  const events = new EventTarget();
  const c = new Connectivity({
    fetch: (input, init) => fetch(input, init),
    browserOnline: options.browserOnline ?? (() => true),
    events,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    probeUrl: options.probeUrl ?? `${origin}/api/health`,
    probeTimeoutMs: 300,
    retryMs: options.retryMs ?? 60_000,
  });
  const seen: Reachability[] = [];
  c.subscribe((s) => seen.push(s));
  started.push(c);
  return { c, events, seen };
}

describe('connectivity', () => {
  it('says offline when the browser claims online but our origin gives no answer (closed port)', async () => {
    const { c } = make({ probeUrl: 'http://127.0.0.1:9/api/health' });
    expect(c.state).toBe('online'); // the browser's claim, before any evidence
    c.start();
    expect(await c.probe()).toBe('offline');
  });

  it('says offline when our origin is silent past the probe deadline', async () => {
    mode = 'silent';
    const { c } = make();
    expect(await c.probe()).toBe('offline');
  });

  it('says the server is unreachable (not offline) when our API answers 5xx, and online again when it recovers', async () => {
    mode = 'failing';
    const { c, seen } = make();
    expect(await c.probe()).toBe('server-unreachable');
    mode = 'ok';
    expect(await c.probe()).toBe('online');
    expect(seen).toEqual(['online', 'server-unreachable', 'online']);
  });

  it('counts any non-5xx answer as online (a static host without the API is still a working network)', async () => {
    mode = 'no-api';
    const { c } = make();
    expect(await c.probe()).toBe('online');
  });

  it('believes the browser saying offline without sending a request, and re-checks on the online event', async () => {
    let browserOnline = false;
    const { c, events } = make({ browserOnline: () => browserOnline });
    c.start();
    expect(await c.probe()).toBe('offline');
    expect(probes).toBe(0);
    browserOnline = true;
    events.dispatchEvent(new Event('online'));
    await expect.poll(() => c.state).toBe('online');
    expect(probes).toBeGreaterThan(0);
  });

  it('goes offline on the browser event at once, without waiting for a probe', () => {
    const { c, events } = make();
    c.start();
    events.dispatchEvent(new Event('offline'));
    expect(c.state).toBe('offline');
  });

  it('a request that failed at the network level makes it probe; our API answering fixes the state directly', async () => {
    const { c } = make();
    c.report('server-error', 'api');
    expect(c.state).toBe('server-unreachable');
    c.report('ok', 'api');
    expect(c.state).toBe('online');
    const before = probes;
    c.report('network-error', 'other');
    await expect.poll(() => probes).toBeGreaterThan(before);
    expect(c.state).toBe('online'); // another service failing says nothing about us: the probe answered
  });

  it('shares one probe among concurrent callers', async () => {
    const { c } = make();
    await Promise.all([c.probe(), c.probe(), c.probe()]);
    expect(probes).toBe(1);
  });

  it('keeps probing with backoff while offline, and notices the way back by itself', async () => {
    mode = 'silent';
    const { c } = make({ retryMs: 50 });
    c.start();
    await expect.poll(() => c.state).toBe('offline');
    mode = 'ok';
    await expect.poll(() => c.state, { timeout: 5_000 }).toBe('online');
  });
});
