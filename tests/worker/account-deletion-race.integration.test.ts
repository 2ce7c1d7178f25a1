// Account deletion in phases (issue 9, item 7): deletion racing direct PUTs never answers 500 and leaves neither rows
// nor objects; a presigned PUT issued before the deletion and used after it is swept; a deletion stopped halfway by
// a blob-store outage refuses every other request, can be retried, and is finished by the scheduled sweep.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/sync/hash';
import { uploadUrlResponseSchema } from '../../shared/sync/protocol';
import { FINAL_SWEEP_DELAY_MS } from '../../worker/src/account-deletion';
import { blobStoreFromEnv } from '../../worker/src/blob/from-env';
import { userBlobPrefix } from '../../worker/src/blob/keys';
import { defaultDeps, runScheduled } from '../../worker/src/index';
import { deleteUserRows } from '../../worker/src/repos/users';
import { ApiClient, appFetch, expectError, signUp } from './helpers';
import { bytesOf, putDirect } from './sync-helpers';

const USER_TABLES = ['users:id', 'sessions:user_id', 'vaults:user_id', 'blobs:user_id', 'known_devices:user_id'] as const;

async function rowsOf(userId: string): Promise<number> {
  const counts = await env.DB.batch(
    USER_TABLES.map((spec) => {
      const [table, column] = spec.split(':');
      return env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).bind(userId);
    }),
  );
  return counts.reduce((sum, result) => sum + ((result.results[0] as { n: number } | undefined)?.n ?? 0), 0);
}

const objectsOf = (userId: string) => blobStoreFromEnv(env).list(userBlobPrefix(userId));
const sweepAt = (now: number) => runScheduled(env, { ...defaultDeps, now: () => now });
const pendingSweeps = async (userId: string) =>
  env.DB.prepare('SELECT count(*) AS n FROM account_deletions WHERE user_id = ?').bind(userId).first<number>('n');

describe('account deletion racing uploads', () => {
  it('direct PUTs started before, during and after the deletion get 201, 401 or 409, never 500, and leave nothing behind', async () => {
    const { client, user, secret } = await signUp();
    // Large enough that the store write takes a while, so the deletion lands between a PUT's steps.
    const segment = (i: number) => bytesOf(`segment ${i} racing the deletion `.repeat(8_000));
    expect((await putDirect(client, segment(0))).status).toBe(201);
    const puts: Promise<Response>[] = [];
    for (let i = 1; i < 12; i++) puts.push(putDirect(client, segment(i)));
    let deleted = false;
    const deletion = client.call('DELETE', '/api/account', { json: { secret } }).then((res) => {
      deleted = true;
      return res;
    });
    for (let i = 12; !deleted; i++) {
      puts.push(putDirect(client, segment(i)));
      await scheduler.wait(5);
    }
    expect((await deletion).status).toBe(200);
    const statuses = await Promise.all(
      puts.map(async (put) => {
        const res = await put;
        const text = await res.text();
        return { status: res.status, code: res.status >= 400 ? (JSON.parse(text) as { error: { code: string } }).error.code : null };
      }),
    );
    expect(statuses.filter((s) => s.status >= 500)).toEqual([]);
    for (const s of statuses) expect([[201, null], [401, 'UNAUTHENTICATED'], [409, 'ACCOUNT_DELETING']]).toContainEqual([s.status, s.code]);
    await expectError(await putDirect(client, segment(-1)), 401, 'UNAUTHENTICATED');

    expect(await rowsOf(user.id)).toBe(0);
    // A PUT that stored its object after the first sweep is caught by the final one.
    await sweepAt(Date.now() + FINAL_SWEEP_DELAY_MS + 1);
    expect(await objectsOf(user.id)).toEqual([]);
    expect(await pendingSweeps(user.id)).toBe(0);
  });

  it('a direct PUT whose account rows go between storing the object and recording it answers 409, not 500 (FOREIGN KEY)', async () => {
    const { client, user, email } = await signUp();
    // A PUT reads the clock last when it records the stored blob; count the reads of one PUT to find that moment.
    let reads = 0;
    const counting = new ApiClient(appFetch({ now: () => (reads++, Date.now()) }), client.ip);
    counting.token = client.token;
    expect((await putDirect(counting, bytesOf('calibration'))).status).toBe(201);
    const lastRead = reads;

    // Replay that PUT and remove the account's rows at its last clock read, as a deletion racing in would.
    reads = 0;
    let rowsGone: Promise<void> | undefined;
    const racing = new ApiClient(
      appFetch({
        now: () => {
          reads += 1;
          if (reads === lastRead) rowsGone = deleteUserRows(env.DB, { id: user.id, email });
          return Date.now();
        },
      }),
      client.ip,
    );
    racing.token = client.token;
    const res = await putDirect(racing, bytesOf('stored, then its account vanished'));
    await rowsGone;
    await expectError(res, 409, 'ACCOUNT_DELETING');
    expect(await rowsOf(user.id)).toBe(0);
  });

  it('a presigned PUT URL issued before the deletion still reaches the store, cannot be verified, and is swept once it expired', async () => {
    const { client, user, secret } = await signUp();
    const bytes = bytesOf('uploaded through a URL issued before the account was deleted');
    const hash = await sha256Hex(bytes);
    const issued = uploadUrlResponseSchema.parse((await client.json('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: bytes.byteLength } })).body);
    const deletedAt = Date.now();
    expect((await client.call('DELETE', '/api/account', { json: { secret } })).status).toBe(200);

    const late = await fetch(issued.upload.url, { method: 'PUT', headers: issued.upload.headers, body: bytes });
    expect(late.status).toBe(200);
    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/verify`), 401, 'UNAUTHENTICATED');
    expect(await objectsOf(user.id)).toHaveLength(1);

    // Not before every URL issued before the deletion has expired (one could still be used)...
    await sweepAt(deletedAt + FINAL_SWEEP_DELAY_MS - 60_000);
    expect(await objectsOf(user.id)).toHaveLength(1);
    // ...then the whole prefix goes, and so does the bookkeeping row.
    await sweepAt(deletedAt + FINAL_SWEEP_DELAY_MS + 60_000);
    expect(await objectsOf(user.id)).toEqual([]);
    expect(await pendingSweeps(user.id)).toBe(0);
  });

  it('a deletion stopped by a blob-store outage refuses every other request (409), can be retried, and is finished by the sweep', async () => {
    const { client, user, secret } = await signUp();
    const stored = bytesOf('a blob stored before the deletion');
    expect((await putDirect(client, stored)).status).toBe(201);

    // The blob store is unreachable (nothing listens on port 9): the deletion stops after phase 1.
    const outage = new ApiClient(appFetch({}, { S3_ENDPOINT: 'http://127.0.0.1:9' }), client.ip);
    outage.token = client.token;
    await expectError(await outage.call('DELETE', '/api/account', { json: { secret } }), 500, 'INTERNAL');

    // Phase 2: the account is marked, so nothing new can be written or verified, and nothing read.
    await expectError(await putDirect(client, bytesOf('a write after the mark')), 409, 'ACCOUNT_DELETING');
    await expectError(await client.call('POST', `/api/sync/blobs/${'d'.repeat(64)}/verify`), 409, 'ACCOUNT_DELETING');
    await expectError(await client.call('POST', `/api/sync/blobs/${'d'.repeat(64)}/upload-url`, { json: { size: 10 } }), 409, 'ACCOUNT_DELETING');
    await expectError(await client.call('GET', '/api/usage'), 409, 'ACCOUNT_DELETING');
    expect(await objectsOf(user.id)).toHaveLength(1);

    // Nobody retries; the scheduled sweep finishes it once due: objects, then rows.
    const markedAt = Date.now();
    await sweepAt(markedAt - 1);
    expect(await rowsOf(user.id)).toBeGreaterThan(0);
    await sweepAt(markedAt + FINAL_SWEEP_DELAY_MS);
    expect(await objectsOf(user.id)).toEqual([]);
    expect(await rowsOf(user.id)).toBe(0);
  });

  it('the same session can retry a deletion that stopped halfway', async () => {
    const { client, user, secret } = await signUp();
    expect((await putDirect(client, bytesOf('another stored blob'))).status).toBe(201);
    const outage = new ApiClient(appFetch({}, { S3_ENDPOINT: 'http://127.0.0.1:9' }), client.ip);
    outage.token = client.token;
    await expectError(await outage.call('DELETE', '/api/account/', { json: { secret } }), 500, 'INTERNAL');
    expect((await client.call('DELETE', '/api/account', { json: { secret } })).status).toBe(200);
    expect(await rowsOf(user.id)).toBe(0);
    expect(await objectsOf(user.id)).toEqual([]);
  });
});
