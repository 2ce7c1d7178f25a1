// A full push and pull between two devices against the real Worker under `wrangler dev` (local D1, migrations
// applied) and a real local S3-compatible server: what a person sees when a second device joins their vault.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { sha256Hex } from '../../shared/sync/hash';
import { startLocalS3, type LocalS3 } from '../support/s3-server';
import { SyncClient, startLocalWorker, type LocalWorker } from '../support/sync-client';

const password = 'correct horse battery staple';

describe('sync push and pull through wrangler dev', () => {
  let s3: LocalS3;
  let worker: LocalWorker;

  beforeAll(async () => {
    s3 = await startLocalS3();
    worker = await startLocalWorker(s3.env);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await s3?.close();
  });

  it('a second device pulls exactly the bytes the first pushed, small ones through the Worker and a large one presigned', async () => {
    const email = `push-pull-${randomUUID()}@example.com`;
    const laptop = await SyncClient.signUp(worker.url, email, password, 'laptop');
    const small = [new Uint8Array(randomBytes(1000)), new Uint8Array(randomBytes(64 * 1024))];
    // Above the 8 MiB direct-upload limit: must go through a presigned PUT and the Worker's verify.
    const large = new Uint8Array(randomBytes(9 * 1024 * 1024));
    const first = await laptop.push(small, { tombstones: [], settings: 'ZW5jcnlwdGVkIHNldHRpbmdz' });
    const second = await laptop.push([large]);
    expect(first.head.version).toBe(1);
    expect(second.head).toMatchObject({ version: 2, segmentCount: 3, bytes: 1000 + 64 * 1024 + 9 * 1024 * 1024 });

    const phone = await SyncClient.logIn(worker.url, email, password, 'phone');
    const pulled = await phone.pull();
    expect(pulled.version).toBe(2);
    expect(pulled.settings).toBe('ZW5jcnlwdGVkIHNldHRpbmdz');
    expect(pulled.segments.map((s) => s.sha256)).toEqual(await Promise.all([...small, large].map((b) => sha256Hex(b))));
    for (const bytes of [...small, large]) {
      expect(Buffer.from(phone.blobs.get(await sha256Hex(bytes))!).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('two devices pushing at once: one conflicts, pulls, merges and retries; both end with the same manifest', async () => {
    const email = `concurrent-${randomUUID()}@example.com`;
    const a = await SyncClient.signUp(worker.url, email, password, 'device-a');
    const b = await SyncClient.logIn(worker.url, email, password, 'device-b');
    const fromA = new Uint8Array(randomBytes(2048));
    const fromB = new Uint8Array(randomBytes(4096));
    await Promise.all([a.push([fromA]), b.push([fromB])]);
    expect(a.conflicts + b.conflicts).toBe(1);
    await a.pull();
    await b.pull();
    expect(a.manifest.version).toBe(2);
    expect(b.manifest).toEqual(a.manifest);
    expect(new Set(a.manifest.segments.map((s) => s.sha256))).toEqual(new Set([await sha256Hex(fromA), await sha256Hex(fromB)]));
    expect(Buffer.from(b.blobs.get(await sha256Hex(fromA))!).equals(Buffer.from(fromA))).toBe(true);
  });

  it('another account sees none of it', async () => {
    const stranger = await SyncClient.signUp(worker.url, `stranger-${randomUUID()}@example.com`, password, 'x');
    await stranger.pull();
    expect(stranger.manifest.version).toBe(0);
    const error = await stranger.download('0'.repeat(64)).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('NOT_FOUND');
  });
});
