/**
 * `npm run bench -- worker-api`: load on the local Worker (`wrangler dev`, local D1, a local S3-compatible server),
 * loopback only, 10 connections, 5 s per route. Prints requests/s and p99 per route and the ratio against
 * GET /api/health (one trivial D1 read) measured in the same run.
 *
 * Request limits (SPEC S16: 600 a minute per user, 300 a minute per IP on health) would otherwise turn most of a
 * run into 429s, so authenticated requests rotate over a pool of users and every health request carries its own
 * client IP (wrangler dev keeps a client's CF-Connecting-IP; at the edge Cloudflare sets it). The limiter still runs
 * on every request, so its cost is in the figures; the "429" column shows whether any request met it.
 *
 * Commit is measured twice:
 *  - "fresh base": each connection owns one user and always commits on the version its last commit returned, so
 *    every request wins the compare-and-set (the full write path: head read, blob check, live set, guarded batch);
 *  - "conflicting": every request commits on base 0 of a user already at a later version, so every request is a
 *    409 carrying the head (the path a losing device takes).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import autocannon, { type Client, type Request as CannonRequest } from 'autocannon';
import { sha256Hex } from '../shared/sync/hash';
import { startLocalS3 } from '../tests/support/s3-server';
import type { HttpTransport } from '../shared/sync/http-transport';
import { openSession, startLocalWorker, transportFor } from '../tests/support/sync-client';

const CONNECTIONS = 10;
/** ~5k authenticated requests in the run over 20 users is ~250 each, well under 600 even within one minute. */
const POOL_USERS = 20;
const DURATION_SECONDS = 5;
const password = 'correct horse battery staple';

interface Figures {
  name: string;
  rps: number;
  p99: number;
  ok: number;
  limited: number;
  other: number;
  errors: number;
}

async function run(name: string, url: string, requests: CannonRequest[], expectStatus = 200, setupClient?: (client: Client) => void): Promise<Figures> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SECONDS, requests, ...(setupClient ? { setupClient } : {}) });
  const statusCounts: Record<string, { count?: number } | undefined> = result.statusCodeStats ?? {};
  const ok = statusCounts[String(expectStatus)]?.count ?? 0;
  const total = Object.values(statusCounts).reduce((sum, s) => sum + (s?.count ?? 0), 0);
  const limited = statusCounts['429']?.count ?? 0;
  return { name, rps: result.requests.average, p99: result.latency.p99, ok, limited, other: total - ok - limited, errors: result.errors };
}

async function main(): Promise<void> {
  const s3 = await startLocalS3('cogzy-bench');
  const worker = await startLocalWorker(s3.env);
  try {
    // Seed: a pool of users, each with one verified segment and the vault at version 1.
    const users: { client: { token: string; http: HttpTransport }; segment: string; version: number }[] = [];
    for (let i = 0; i < POOL_USERS; i += 1) {
      const token = await openSession(worker.url, 'signup', `bench-${i}-${randomUUID()}@example.com`, password);
      const http = transportFor(worker.url, token);
      const bytes = new Uint8Array(randomBytes(4096));
      const segment = await sha256Hex(bytes);
      await http.uploadBlob(segment, bytes);
      const committed = await http.commit({ baseVersion: 0, deviceId: `bench-${i}`, addedSegments: [segment] });
      if (!committed.ok) throw new Error('the first commit of a new user cannot conflict');
      users.push({ client: { token, http }, segment, version: committed.response.head.version });
    }
    const auth = (client: { token: string }) => ({ Authorization: `Bearer ${client.token}`, 'Content-Type': 'application/json' });
    // 100 hashes, half of them stored by every user of the pool.
    const storedBlobs = Array.from({ length: 50 }, () => new Uint8Array(randomBytes(512)));
    const stored = await Promise.all(storedBlobs.map((bytes) => sha256Hex(bytes)));
    await Promise.all(users.map(async (user) => {
      for (const [i, bytes] of storedBlobs.entries()) await user.client.http.uploadBlob(stored[i]!, bytes);
    }));
    const hashes = [...stored, ...Array.from({ length: 50 }, () => randomBytes(32).toString('hex'))];

    // Each request takes the next user of the pool / the next client IP.
    let turn = 0;
    const nextUser = () => users[turn++ % users.length]!;
    let ipTurn = 0;
    const nextIp = () => {
      ipTurn += 1;
      return `10.${(ipTurn >> 16) & 255}.${(ipTurn >> 8) & 255}.${ipTurn & 255}`;
    };
    const health: CannonRequest = { method: 'GET', path: '/api/health', setupRequest: (req) => ({ ...req, headers: { 'CF-Connecting-IP': nextIp() } }) };

    // One user per connection (autocannon's setupClient runs once per connection), so a connection's commits are
    // sequential on its own vault: each 201 moved that vault exactly one version ahead.
    let nextOwner = 0;
    const commitFresh = (client: Client) => {
      const user = users[nextOwner++ % CONNECTIONS]!;
      client.setRequests([
        {
          method: 'POST',
          path: '/api/sync/commit',
          setupRequest: (req) => ({
            ...req,
            headers: auth(user.client),
            body: JSON.stringify({ baseVersion: user.version, deviceId: 'bench', addedSegments: [user.segment], tombstones: [`t-${user.version}`] }),
          }),
        },
      ]);
      client.on('response', (status: number) => {
        if (status === 201) user.version += 1;
      });
    };

    const figures: Figures[] = [];
    figures.push(await run('GET /api/health (baseline)', worker.url, [health]));
    figures.push(await run('GET /api/usage', worker.url, [{ method: 'GET', path: '/api/usage', setupRequest: (req) => ({ ...req, headers: auth(nextUser().client) }) }]));
    const missingBody = JSON.stringify({ hashes });
    figures.push(
      await run('POST /api/sync/blobs/missing (100 hashes)', worker.url, [
        { method: 'POST', path: '/api/sync/blobs/missing', setupRequest: (req) => ({ ...req, headers: auth(nextUser().client), body: missingBody }) },
      ]),
    );
    figures.push(await run('POST /api/sync/commit (fresh base, 1 conn = 1 user)', worker.url, [health], 201, commitFresh));
    const conflicting = (req: CannonRequest): CannonRequest => {
      const user = nextUser();
      return { ...req, headers: auth(user.client), body: JSON.stringify({ baseVersion: 0, deviceId: 'bench', addedSegments: [user.segment] }) };
    };
    figures.push(await run('POST /api/sync/commit (conflicting, all 409)', worker.url, [{ method: 'POST', path: '/api/sync/commit', setupRequest: conflicting }], 409));
    figures.push(await run('GET /api/health (baseline, again)', worker.url, [health]));

    // The machine is shared: the baseline runs first and last, and ratios use their mean so drift shows up in both.
    const baseline = (figures[0]!.rps + figures[figures.length - 1]!.rps) / 2;
    console.log(
      `worker-api: wrangler dev + local D1 + s3rver, loopback, ${CONNECTIONS} connections, ${DURATION_SECONDS} s per route, ${POOL_USERS} users in turn`,
    );
    console.log('route'.padEnd(52), 'req/s'.padStart(8), 'p99 ms'.padStart(8), 'expected'.padStart(9), '429'.padStart(6), 'other'.padStart(7), 'ratio vs health (mean)'.padStart(23));
    for (const f of figures) {
      console.log(
        f.name.padEnd(52),
        f.rps.toFixed(0).padStart(8),
        String(f.p99).padStart(8),
        String(f.ok).padStart(9),
        String(f.limited).padStart(6),
        String(f.other + f.errors).padStart(7),
        (f.rps / baseline).toFixed(2).padStart(23),
      );
    }
    const owners = users.slice(0, CONNECTIONS);
    const commits = owners.reduce((sum, u) => sum + u.version, 0);
    console.log(`vault versions after the fresh-base run: ${commits} commits across ${owners.length} users (each one a won compare-and-set)`);
  } finally {
    await worker.close();
    await s3.close();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
