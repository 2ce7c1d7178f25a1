/**
 * `npm run bench -- load-day`: replays one modelled day of a population of active users against the local Worker
 * (`wrangler dev`, local D1, a local S3-compatible server) and prints what D1 bills per user: rows written, rows
 * read and queries, per kind of activity, plus the database growth. The Worker runs behind
 * bench/worker/metered-entry.ts, which sums every statement's D1 `meta` (the same counters Cloudflare bills).
 *
 * The modelled day of one active user (docs/SCALING.md explains the choice):
 * - sign-in on a second device (the phone), once;
 * - 6 syncs: the laptop pushes one new 32 KiB segment with 5 tombstones (settings on the first), the phone pulls
 *   (manifest since its version, then the new segment);
 * - 1 import: an upload record created, updated 4 times, and 8 segments of 256 KiB pushed in one commit;
 * - 20 ask-memory messages (metered: POST /api/usage/messages), and 2 status views;
 * - then the Cron Trigger runs once (sweep and garbage collection) for the whole population.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { startLocalS3 } from '../tests/support/s3-server';
import { openSession, startLocalWorker, transportFor } from '../tests/support/sync-client';
import { sha256Hex } from '../shared/sync/hash';
import type { HttpTransport } from '../shared/sync/http-transport';

const USERS = Number(process.env.LOAD_DAY_USERS ?? '20');
const CONCURRENCY = 4;
const password = 'correct horse battery staple';

interface Meter {
  queries: number;
  rowsRead: number;
  rowsWritten: number;
  sizeAfter: number;
}

async function meter(url: string, reset: boolean): Promise<Meter> {
  const res = await fetch(`${url}/__meter`, { method: reset ? 'POST' : 'GET' });
  return (await res.json()) as Meter;
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/** Runs `work` for every user, CONCURRENCY at a time. */
async function forAll<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map(work));
}

/**
 * One device at the protocol level, over the product's HttpTransport: the load model writes opaque segments and
 * tombstones (what a day of the real engine sends), so what D1 sees is what the engine would cause.
 */
class Device {
  private version = 0;
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly deviceId: string,
    private readonly transport: HttpTransport = transportFor(baseUrl, token),
  ) {}

  static async open(baseUrl: string, mode: 'signup' | 'login', email: string, deviceId: string): Promise<Device> {
    return new Device(baseUrl, await openSession(baseUrl, mode, email, password), deviceId);
  }

  request(method: string, path: string, init: { json?: unknown } = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  }

  /** Uploads what is missing, then commits on the known version (pulling first on a conflict). */
  async push(segments: Uint8Array<ArrayBuffer>[], extra: { tombstones?: string[]; settings?: string | null } = {}): Promise<void> {
    const hashes = await Promise.all(segments.map((bytes) => sha256Hex(bytes)));
    const missing = new Set(await this.transport.missingBlobs(hashes));
    for (const [i, hash] of hashes.entries()) if (missing.has(hash)) await this.transport.uploadBlob(hash, segments[i]!);
    for (;;) {
      const result = await this.transport.commit({ baseVersion: this.version, deviceId: this.deviceId, addedSegments: hashes, removedSegments: [], tombstones: extra.tombstones ?? [], settings: extra.settings ?? null });
      if (result.ok) {
        this.version = result.response.head.version;
        return;
      }
      await this.pull();
    }
  }

  /** Manifest pages since the known version, and every added segment downloaded. */
  async pull(): Promise<void> {
    for (;;) {
      const page = await this.transport.manifest(this.version);
      for (const commit of page.commits) for (const segment of commit.addedSegments) await this.transport.downloadBlob(segment.sha256);
      this.version = page.commits.at(-1)?.version ?? page.checkpoint?.version ?? this.version;
      if (!page.hasMore) return;
    }
  }
}

interface User {
  email: string;
  laptop: Device;
  phone: Device | null;
}

async function main(): Promise<void> {
  const s3 = await startLocalS3('cogzy-load-day');
  // The metering wrapper around the Worker; --test-scheduled lets the bench fire the Cron Trigger over HTTP.
  const worker = await startLocalWorker(s3.env, { entry: 'bench/worker/metered-entry.ts', extraArgs: ['--test-scheduled'], readyPath: '/__meter', readyTimeoutMs: 90_000 });
  const rows: { phase: string; perUser: Meter }[] = [];
  const phase = async (name: string, work: () => Promise<void>) => {
    await meter(worker.url, true);
    await work();
    const m = await meter(worker.url, false);
    rows.push({ phase: name, perUser: { queries: m.queries / USERS, rowsRead: m.rowsRead / USERS, rowsWritten: m.rowsWritten / USERS, sizeAfter: m.sizeAfter } });
  };
  try {
    const users: User[] = [];
    const sizeBefore = (await meter(worker.url, true)).sizeAfter;
    await phase('sign-up (once per account)', () =>
      forAll(Array.from({ length: USERS }, (_, i) => i), async (i) => {
        const email = `load-day-${i}-${randomUUID()}@example.com`;
        users.push({ email, laptop: await Device.open(worker.url, 'signup', email, 'laptop'), phone: null });
      }),
    );
    await phase('sign-in of the phone', () =>
      forAll(users, async (user) => {
        user.phone = await Device.open(worker.url, 'login', user.email, 'phone');
      }),
    );
    for (let sync = 0; sync < 6; sync += 1) {
      await phase(`sync ${sync + 1}: push 1 x 32 KiB + 5 tombstones, pull`, () =>
        forAll(users, async (user) => {
          const tombstones = Array.from({ length: 5 }, () => randomUUID());
          await user.laptop.push([new Uint8Array(randomBytes(32 * 1024))], { tombstones, settings: sync === 0 ? randomBytes(2048).toString('base64') : null });
          await user.phone!.pull();
        }),
      );
    }
    await phase('import: record + 4 updates + 8 x 256 KiB in one commit', () =>
      forAll(users, async (user) => {
        const created = await user.laptop.request('POST', '/api/uploads', { json: { deviceId: 'laptop', provider: 'chatgpt', fileName: 'export.zip', bytes: 2_000_000, status: 'processing' } });
        if (!created.ok) throw new Error(`upload record: HTTP ${created.status}`);
        const { id } = (await created.json()) as { id: string };
        for (const progress of [0.25, 0.5, 0.75]) await expectOk(await user.laptop.request('PATCH', `/api/uploads/${id}`, { json: { progress } }), 'progress');
        await user.laptop.push(Array.from({ length: 8 }, () => new Uint8Array(randomBytes(256 * 1024))));
        await expectOk(await user.laptop.request('PATCH', `/api/uploads/${id}`, { json: { status: 'complete', progress: 1, counts: { conversations: 120, nodesCreated: 2400, nodesDeduplicated: 0 } } }), 'complete');
      }),
    );
    await phase('20 ask-memory messages', () =>
      forAll(users, async (user) => {
        for (let m = 0; m < 20; m += 1) await expectOk(await user.laptop.request('POST', '/api/usage/messages'), 'message');
      }),
    );
    await phase('2 status views', () =>
      forAll(users, async (user) => {
        for (let v = 0; v < 2; v += 1) await expectOk(await user.phone!.request('GET', '/api/vault/status'), 'status');
      }),
    );
    await phase('Cron Trigger (sweep + GC), whole population', async () => {
      await expectOk(await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent('*/15 * * * *')}`), 'scheduled');
    });
    const sizeAfter = (await meter(worker.url, false)).sizeAfter;

    console.log(`Modelled day of ${USERS} active users (per user; D1 meta counters)`);
    console.log(['phase'.padEnd(58), 'queries'.padStart(8), 'rows read'.padStart(10), 'rows written'.padStart(13)].join(''));
    const day = { queries: 0, rowsRead: 0, rowsWritten: 0 };
    for (const { phase: name, perUser } of rows) {
      console.log([name.padEnd(58), perUser.queries.toFixed(1).padStart(8), perUser.rowsRead.toFixed(1).padStart(10), perUser.rowsWritten.toFixed(1).padStart(13)].join(''));
      if (name.startsWith('sign-up')) continue;
      day.queries += perUser.queries;
      day.rowsRead += perUser.rowsRead;
      day.rowsWritten += perUser.rowsWritten;
    }
    console.log(['day total (without sign-up)'.padEnd(58), day.queries.toFixed(1).padStart(8), day.rowsRead.toFixed(1).padStart(10), day.rowsWritten.toFixed(1).padStart(13)].join(''));
    console.log(`D1 database growth: ${((sizeAfter - sizeBefore) / USERS / 1024).toFixed(1)} KiB per user (file size after the run: ${(sizeAfter / 1024 / 1024).toFixed(2)} MiB)`);
  } finally {
    await worker.close();
    await s3.close();
  }
}

await main();
