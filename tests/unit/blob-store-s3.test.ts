// The S3 adapter against a real local S3-compatible server that verifies SigV4 (standing in for Backblaze B2).
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { sha256Hex } from '../../shared/sync/hash';
import { blobKey } from '../../worker/src/blob/keys';
import { b2Endpoint, S3BlobStore } from '../../worker/src/blob/s3';
import { startLocalS3 } from '../support/s3-server';
import { blobStoreContract } from './blob-store.contract';

blobStoreContract('S3 adapter + local s3rver', async () => {
  const s3 = await startLocalS3();
  return { store: S3BlobStore.fromEnv(s3.env), close: () => s3.close() };
});

/**
 * A stand-in for B2's busy answer: the first `busy` requests get 503 ServiceUnavailable (as B2 sends when a storage
 * pod is full), the rest pass through unchanged (Host included, so signatures still verify) to the local S3 server.
 */
async function busyProxy(target: string, busy: number): Promise<{ endpoint: string; seen: () => number; close: () => Promise<void> }> {
  let seen = 0;
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    seen += 1;
    if (seen <= busy) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' }).end('<Error><Code>ServiceUnavailable</Code></Error>');
      return;
    }
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, seen: () => seen, close: () => new Promise((done) => server.close(() => done())) };
}

describe('S3 adapter specifics', () => {
  it('retries a busy store (503) and succeeds; a store that stays busy surfaces as INTERNAL', async () => {
    const s3 = await startLocalS3();
    const bytes = new TextEncoder().encode('retry me');
    const hash = await sha256Hex(bytes);
    const flaky = await busyProxy(s3.endpoint, 2);
    try {
      const store = S3BlobStore.fromEnv({ ...s3.env, S3_ENDPOINT: flaky.endpoint }, { retryDelaysMs: [1, 1] });
      const { etag } = await store.put(blobKey('u1', hash), bytes, hash);
      expect(flaky.seen()).toBe(3);
      expect(await store.head(blobKey('u1', hash))).toEqual({ size: bytes.byteLength, etag });
    } finally {
      await flaky.close();
    }
    const down = await busyProxy(s3.endpoint, 100);
    try {
      const store = S3BlobStore.fromEnv({ ...s3.env, S3_ENDPOINT: down.endpoint }, { retryDelaysMs: [1, 1] });
      const error = await store.head(blobKey('u1', hash)).then(() => null, (e: unknown) => e);
      expect((error as AppError).code).toBe('INTERNAL');
      expect(down.seen()).toBe(3);
    } finally {
      await down.close();
      await s3.close();
    }
  });

  it('a wrong secret is refused by the store and surfaces as INTERNAL, never as the user\'s fault', async () => {
    const s3 = await startLocalS3();
    try {
      const store = S3BlobStore.fromEnv({ ...s3.env, S3_SECRET_ACCESS_KEY: 'not-the-secret' });
      const bytes = new TextEncoder().encode('x');
      const hash = await sha256Hex(bytes);
      const error = await store.put(blobKey('u1', hash), bytes, hash).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('INTERNAL');
      expect((error as AppError).detail).toContain('HTTP 403');
    } finally {
      await s3.close();
    }
  });

  it('S8: with the bucket CORS rule, a browser on the app origin may send the presigned PUT (preflight passes)', async () => {
    const origin = 'http://127.0.0.1:5173';
    const s3 = await startLocalS3('cogzy-cors', { allowedOrigins: [origin] });
    try {
      const store = S3BlobStore.fromEnv(s3.env);
      const bytes = new TextEncoder().encode('from the browser');
      const hash = await sha256Hex(bytes);
      const put = await store.presignPut(blobKey('u1', hash), bytes.byteLength, hash, 300);
      const preflight = await fetch(put.url, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-amz-content-sha256' },
      });
      expect(preflight.status).toBe(200);
      expect(preflight.headers.get('access-control-allow-headers')).toBe('x-amz-content-sha256');
      await preflight.body?.cancel();
      const sent = await fetch(put.url, { method: 'PUT', headers: { ...put.headers, Origin: origin }, body: bytes });
      expect(sent.status).toBe(200);
      expect(sent.headers.get('access-control-allow-origin')).toBe(origin);
      await sent.body?.cancel();
      const elsewhere = await fetch(put.url, {
        method: 'OPTIONS',
        headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'x-amz-content-sha256' },
      });
      expect(elsewhere.status).toBe(403);
      await elsewhere.body?.cancel();
    } finally {
      await s3.close();
    }
  });

  it('an unconfigured store names the missing settings', () => {
    expect(() => S3BlobStore.fromEnv({ S3_ENDPOINT: 'https://s3.us-west-004.backblazeb2.com' })).toThrow(AppError);
  });

  it('B2 endpoints follow https://s3.<region>.backblazeb2.com', () => {
    expect(b2Endpoint('us-west-004')).toBe('https://s3.us-west-004.backblazeb2.com');
  });

  it('S3: keys accept only a 64-hex hash and a key-safe user id', () => {
    expect(() => blobKey('u1', '../../etc/passwd')).toThrow(AppError);
    expect(() => blobKey('u1', 'A'.repeat(64))).toThrow(AppError);
    expect(() => blobKey('../u2', 'a'.repeat(64))).toThrow(AppError);
  });
});
