/**
 * The BlobStore contract (worker/src/blob/port.ts): every adapter runs this suite against a real store.
 * Presigned requests are exercised with plain fetch, exactly as a browser would send them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/sync/hash';
import { blobKey, userBlobPrefix } from '../../worker/src/blob/keys';
import type { BlobStore } from '../../worker/src/blob/port';

export interface BlobStoreUnderTest {
  store: BlobStore;
  close(): Promise<void>;
}

function bytesOf(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new TextEncoder().encode(text));
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function blobStoreContract(name: string, open: () => Promise<BlobStoreUnderTest>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let subject: BlobStoreUnderTest;
    let store: BlobStore;
    // Unique per run so suites sharing a store never see each other's objects.
    const userA = `contract-a-${Date.now().toString(36)}`;
    const userB = `contract-b-${Date.now().toString(36)}`;

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(async () => {
      await subject.close();
    });

    it('S3: stores bytes under users/{userId}/blobs/{sha256} and reads back the same bytes', async () => {
      const bytes = bytesOf('segment one: ciphertext stand-in');
      const hash = await sha256Hex(bytes);
      const key = blobKey(userA, hash);
      expect(key).toBe(`users/${userA}/blobs/${hash}`);
      const { etag } = await store.put(key, bytes, hash);
      expect(etag).toEqual(expect.any(String));
      // S17: the same ETag names this exact object on every later read, until something overwrites it.
      expect(await store.head(key)).toEqual({ size: bytes.byteLength, etag });
      const got = await store.get(key);
      expect(got?.size).toBe(bytes.byteLength);
      expect(got?.etag).toBe(etag);
      expect(await readAll(got!.body)).toEqual(bytes);
    });

    it('a missing key reads as null, and deleting it succeeds', async () => {
      const key = blobKey(userA, 'f'.repeat(64));
      expect(await store.head(key)).toBeNull();
      expect(await store.get(key)).toBeNull();
      await expect(store.delete(key)).resolves.toBeUndefined();
    });

    it('list and deletePrefix touch only the given prefix (account deletion removes one user)', async () => {
      const mine = [bytesOf('a1'), bytesOf('a2')];
      const theirs = bytesOf('b1');
      for (const bytes of mine) {
        const hash = await sha256Hex(bytes);
        await store.put(blobKey(userA, hash), bytes, hash);
      }
      const theirHash = await sha256Hex(theirs);
      await store.put(blobKey(userB, theirHash), theirs, theirHash);

      const listed = await store.list(userBlobPrefix(userA));
      expect(listed.length).toBeGreaterThanOrEqual(2);
      expect(listed.every((k) => k.startsWith(`users/${userA}/blobs/`))).toBe(true);
      expect([...listed].sort()).toEqual(listed);

      const removed = await store.deletePrefix(userBlobPrefix(userA));
      expect(removed).toBe(listed.length);
      expect(await store.list(userBlobPrefix(userA))).toEqual([]);
      expect(await store.list(userBlobPrefix(userB))).toEqual([blobKey(userB, theirHash)]);
    });

    it('S8: a presigned PUT stores the bytes with plain fetch; a presigned GET reads them back', async () => {
      const bytes = bytesOf('large segment via presigned url '.repeat(100));
      const hash = await sha256Hex(bytes);
      const key = blobKey(userB, hash);
      const put = await store.presignPut(key, bytes.byteLength, hash, 300);
      expect(put.method).toBe('PUT');
      const putRes = await fetch(put.url, { method: 'PUT', headers: put.headers, body: bytes });
      expect(putRes.status).toBe(200);
      await putRes.body?.cancel();

      const get = await store.presignGet(key, 300);
      const getRes = await fetch(get.url, { headers: get.headers });
      expect(getRes.status).toBe(200);
      expect(new Uint8Array(await getRes.arrayBuffer())).toEqual(bytes);
    });

    it('S8: a presigned PUT is limited to its key and its size', async () => {
      const bytes = bytesOf('only for this key');
      const hash = await sha256Hex(bytes);
      const key = blobKey(userB, hash);
      const put = await store.presignPut(key, bytes.byteLength, hash, 300);

      const otherKey = blobKey(userA, hash);
      const elsewhere = put.url.replace(key, otherKey);
      expect(elsewhere).not.toBe(put.url);
      const redirected = await fetch(elsewhere, { method: 'PUT', headers: put.headers, body: bytes });
      expect(redirected.status).toBe(403);
      await redirected.body?.cancel();
      expect(await store.head(otherKey)).toBeNull();

      const longer = await fetch(put.url, { method: 'PUT', headers: put.headers, body: bytesOf('only for this key, and more') });
      expect(longer.status).toBe(403);
      await longer.body?.cancel();
      expect(await store.head(key)).toBeNull();
    });
  });
}
