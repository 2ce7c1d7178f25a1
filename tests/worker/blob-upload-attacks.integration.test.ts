// Issue 9 items 2 and 3, reproduced against workerd + D1 + the local S3 server (SPEC S17, S18). The local store
// accepts a presigned PUT whose body does not match the signed x-amz-content-sha256, so these attacks really
// write their bytes; the Worker must not rely on the store refusing them.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/sync/hash';
import { blobRecordSchema, downloadResponseSchema, uploadUrlResponseSchema, vaultStatusResponseSchema } from '../../shared/sync/protocol';
import { UPLOAD_EXPIRY_MARGIN_MS } from '../../worker/src/jobs/blob-lifecycle';
import { expectError, signUp } from './helpers';
import { MiB, junk, putThrough, runCron, storedKeys, uploadUrl } from './blob-lifecycle-helpers';
import { bytesOf, missing, putDirect } from './sync-helpers';

/** After every URL issued now has expired (15 minutes), with the sweep's margin. */
function afterUrlsExpire(): number {
  return Date.now() + 15 * 60 * 1000 + UPLOAD_EXPIRY_MARGIN_MS + 1000;
}

describe('S17: no upload URL for a verified blob (issue 9, item 3)', () => {
  it('PUT 8 bytes directly, then ask for a 64 MiB URL for the same hash: refused, and downloads serve the 8 bytes', async () => {
    const { client } = await signUp();
    const bytes = bytesOf('8 bytes!');
    expect((await putDirect(client, bytes)).status).toBe(201);
    const hash = await sha256Hex(bytes);

    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: 64 * MiB } }), 409, 'BLOB_ALREADY_UPLOADED');

    const dl = downloadResponseSchema.parse((await client.json('GET', `/api/sync/blobs/${hash}`)).body);
    const got = new Uint8Array(await (await fetch(dl.download.url)).arrayBuffer());
    expect(got).toEqual(bytes);
  });

  it('a URL issued before verification that overwrites the verified object: the download refuses it, and the blob is missing again', async () => {
    const { client, user } = await signUp();
    const bytes = bytesOf('the verified bytes');
    const hash = await sha256Hex(bytes);
    // The URL is asked for first (64 MiB), then the real bytes go in directly and are verified.
    const url = await uploadUrl(client, hash, 64 * MiB);
    expect((await putDirect(client, bytes)).status).toBe(201);
    expect(await missing(client, [hash])).toEqual([]);
    // Now 64 MiB of arbitrary bytes through the still-valid URL.
    expect(await putThrough(url, junk(64 * MiB, 7))).toBe(200);

    await expectError(await client.call('GET', `/api/sync/blobs/${hash}`), 404, 'NOT_FOUND');
    expect(await missing(client, [hash])).toEqual([hash]);
    expect(await storedKeys(user.id)).toEqual([]);
    // Nothing verified is left for this user.
    const status = vaultStatusResponseSchema.parse((await client.json('GET', '/api/vault/status')).body);
    expect(status.storedBlobs).toEqual({ count: 0, bytes: 0 });
  });

  it('the sweep re-checks a blob verified while its URL was valid: an overwritten object is deleted, an untouched one settles', async () => {
    const { client, user } = await signUp();
    const kept = bytesOf('verified, URL never reused');
    const keptHash = await sha256Hex(kept);
    const keptUrl = await uploadUrl(client, keptHash, kept.byteLength);
    expect(await putThrough(keptUrl, kept)).toBe(200);
    expect((await client.json('POST', `/api/sync/blobs/${keptHash}/verify`)).status).toBe(200);

    const tampered = bytesOf('verified, then overwritten');
    const tamperedHash = await sha256Hex(tampered);
    const tamperedUrl = await uploadUrl(client, tamperedHash, tampered.byteLength);
    expect(await putThrough(tamperedUrl, tampered)).toBe(200);
    expect(blobRecordSchema.parse((await client.json('POST', `/api/sync/blobs/${tamperedHash}/verify`)).body).size).toBe(tampered.byteLength);
    // Same length, other bytes: the size alone cannot tell.
    expect(await putThrough(tamperedUrl, junk(tampered.byteLength, 1))).toBe(200);

    await runCron(afterUrlsExpire());
    expect(await missing(client, [keptHash, tamperedHash])).toEqual([tamperedHash]);
    expect(await storedKeys(user.id)).toEqual([`users/${user.id}/blobs/${keptHash}`]);
    const dl = downloadResponseSchema.parse((await client.json('GET', `/api/sync/blobs/${keptHash}`)).body);
    expect(new Uint8Array(await (await fetch(dl.download.url)).arrayBuffer())).toEqual(kept);
  });
});

describe('S18: a reservation never shrinks below a URL that is still valid (issue 9, item 2)', () => {
  it('64 MiB URL, then a 1-byte URL for the same hash, then 64 MiB through the first: rounds stop at the 2x quota, and the sweep deletes them all', async () => {
    const { client, user } = await signUp();
    // Free plan: 100 MiB vault, so 200 MiB of stored blobs (S9). The attack of the issue put 256 MiB in four rounds.
    const statuses: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      const hash = await sha256Hex(bytesOf(`round ${round}`));
      const big = await client.call('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: 64 * MiB } });
      statuses.push(big.status);
      if (big.status !== 200) {
        await expectError(big, 507, 'VAULT_FULL');
        break;
      }
      const first = uploadUrlResponseSchema.parse(await big.json());
      await uploadUrl(client, hash, 1);
      expect(await putThrough(first, junk(64 * MiB, round))).toBe(200);
      // The bytes do not match the hash: nothing is verified, the object is deleted at once.
      await expectError(await client.call('POST', `/api/sync/blobs/${hash}/verify`), 422, 'BLOB_HASH_MISMATCH');
    }
    expect(statuses).toEqual([200, 200, 200, 507]);

    // Nobody verifies; once the URLs expire, the sweep removes objects (even ones a URL wrote again) and rows.
    const hash = await sha256Hex(bytesOf('round 0'));
    await uploadUrl(client, hash, 1);
    await runCron(afterUrlsExpire());
    expect(await storedKeys(user.id)).toEqual([]);
    // The room is free again.
    expect((await uploadUrl(client, await sha256Hex(bytesOf('after the sweep')), 64 * MiB)).size).toBe(64 * MiB);
  });

  it('an announced upload never verified is deleted from the store by the sweep, not before its URL expires', async () => {
    const { client, user } = await signUp();
    const bytes = bytesOf('uploaded, never verified');
    const hash = await sha256Hex(bytes);
    expect(await putThrough(await uploadUrl(client, hash, bytes.byteLength), bytes)).toBe(200);

    await runCron(Date.now());
    expect(await storedKeys(user.id)).toEqual([`users/${user.id}/blobs/${hash}`]);
    await runCron(afterUrlsExpire());
    expect(await storedKeys(user.id)).toEqual([]);
    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/verify`), 404, 'NOT_FOUND');
  });
});
