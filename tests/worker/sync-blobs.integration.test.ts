// Blob routes in workerd against migrated D1 and a real local S3-compatible server (SPEC S1-S4, S8, S9, S15).
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/sync/hash';
import { blobRecordSchema, downloadResponseSchema, uploadUrlResponseSchema } from '../../shared/sync/protocol';
import { ApiClient, expectError, signUp } from './helpers';
import { bytesOf, missing, putDirect } from './sync-helpers';

describe('S2: missing blobs', () => {
  it('lists the hashes the server lacks, in request order, without duplicates', async () => {
    const { client } = await signUp();
    const stored = bytesOf('stored segment');
    expect((await putDirect(client, stored)).status).toBe(201);
    const storedHash = await sha256Hex(stored);
    const absent = 'a'.repeat(64);
    expect(await missing(client, [absent, storedHash, absent])).toEqual([absent]);
  });

  it('S15: another user\'s blob with the same hash still counts as missing', async () => {
    const alice = await signUp();
    const bob = await signUp();
    const bytes = bytesOf('same bytes, two vaults');
    expect((await putDirect(alice.client, bytes)).status).toBe(201);
    const hash = await sha256Hex(bytes);
    expect(await missing(bob.client, [hash])).toEqual([hash]);
  });

  it('S1: refuses hashes that are not 64 lowercase hex, and more than 1000 at once', async () => {
    const { client } = await signUp();
    await expectError(await client.call('POST', '/api/sync/blobs/missing', { json: { hashes: ['A'.repeat(64)] } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/sync/blobs/missing', { json: { hashes: Array(1001).fill('b'.repeat(64)) } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/sync/blobs/missing', { json: { nope: true } }), 400, 'VALIDATION_FAILED');
  });

  it('needs a session', async () => {
    await expectError(await new ApiClient().call('POST', '/api/sync/blobs/missing', { json: { hashes: [] } }), 401, 'UNAUTHENTICATED');
  });
});

describe('S4: direct upload through the Worker', () => {
  it('stores a small blob whose bytes match its name, once', async () => {
    const { client } = await signUp();
    const bytes = bytesOf('ciphertext of a small segment');
    const first = await putDirect(client, bytes);
    expect(first.status).toBe(201);
    const record = blobRecordSchema.parse(await first.json());
    expect(record).toMatchObject({ sha256: await sha256Hex(bytes), size: bytes.byteLength });
    const again = await putDirect(client, bytes);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });

  it('refuses bytes that do not match the hash in the path, and stores nothing', async () => {
    const { client } = await signUp();
    const claimed = await sha256Hex(bytesOf('what the client said'));
    await expectError(await putDirect(client, bytesOf('what the client sent'), claimed), 422, 'BLOB_HASH_MISMATCH');
    expect(await missing(client, [claimed])).toEqual([claimed]);
  });

  it('S9: refuses a direct upload above 8 MiB', async () => {
    const { client } = await signUp();
    const big = new Uint8Array(8 * 1024 * 1024 + 1);
    await expectError(await putDirect(client, big), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('S1: refuses a path that is not a hash; needs a session', async () => {
    const { client } = await signUp();
    await expectError(await putDirect(client, bytesOf('x'), 'not-a-hash'), 400, 'VALIDATION_FAILED');
    await expectError(
      await new ApiClient().call('PUT', `/api/sync/blobs/${'c'.repeat(64)}`, { body: bytesOf('x') }),
      401,
      'UNAUTHENTICATED',
    );
  });
});

describe('S8: presigned upload and download against the S3-compatible store', () => {
  it('uploads straight to the store, verifies, then downloads the same bytes', async () => {
    const { client } = await signUp();
    const bytes = bytesOf('a larger encrypted segment '.repeat(500));
    const hash = await sha256Hex(bytes);

    const urlRes = await client.json('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: bytes.byteLength } });
    expect(urlRes.status).toBe(200);
    const { upload } = uploadUrlResponseSchema.parse(urlRes.body);
    expect(upload.url).toContain(`/users/`);
    expect(upload.url).toContain(`/blobs/${hash}`);
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    expect(put.status).toBe(200);
    await put.body?.cancel();

    // Uploaded but not yet verified: still missing, so it cannot be committed (S6).
    expect(await missing(client, [hash])).toEqual([hash]);
    const verified = await client.json('POST', `/api/sync/blobs/${hash}/verify`);
    expect(verified.status).toBe(200);
    expect(blobRecordSchema.parse(verified.body)).toMatchObject({ sha256: hash, size: bytes.byteLength });
    expect(await missing(client, [hash])).toEqual([]);

    const dl = await client.json('GET', `/api/sync/blobs/${hash}`);
    expect(dl.status).toBe(200);
    const { download, size } = downloadResponseSchema.parse(dl.body);
    expect(size).toBe(bytes.byteLength);
    const got = await fetch(download.url, { headers: download.headers });
    expect(got.status).toBe(200);
    const gotBytes = new Uint8Array(await got.arrayBuffer());
    expect(await sha256Hex(gotBytes)).toBe(hash);
  });

  it('verify refuses stored bytes that do not match their name, deletes them, and they stay missing', async () => {
    const { client } = await signUp();
    const meant = bytesOf('the bytes the hash names.');
    const other = bytesOf('different bytes, same len');
    expect(other.byteLength).toBe(meant.byteLength);
    const hash = await sha256Hex(meant);
    const urlRes = await client.json('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: meant.byteLength } });
    const { upload } = uploadUrlResponseSchema.parse(urlRes.body);
    // The local store does not check the payload hash itself (B2 does), so the Worker's verify must catch it.
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: other });
    expect(put.status).toBe(200);
    await put.body?.cancel();

    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/verify`), 422, 'BLOB_HASH_MISMATCH');
    expect(await missing(client, [hash])).toEqual([hash]);
    // The damaged object is gone: verifying again finds nothing uploaded.
    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/verify`), 409, 'BLOB_MISSING');
  });

  it('verify before any upload is BLOB_MISSING; verify or download without an announced upload is NOT_FOUND', async () => {
    const { client } = await signUp();
    const hash = await sha256Hex(bytesOf('announced, never sent'));
    expect((await client.json('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: 21 } })).status).toBe(200);
    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/verify`), 409, 'BLOB_MISSING');
    const unknown = 'd'.repeat(64);
    await expectError(await client.call('POST', `/api/sync/blobs/${unknown}/verify`), 404, 'NOT_FOUND');
    await expectError(await client.call('GET', `/api/sync/blobs/${unknown}`), 404, 'NOT_FOUND');
  });

  it('S15: another user cannot verify, download or find my blob', async () => {
    const alice = await signUp();
    const bob = await signUp();
    const bytes = bytesOf('alice only');
    expect((await putDirect(alice.client, bytes)).status).toBe(201);
    const hash = await sha256Hex(bytes);
    await expectError(await bob.client.call('GET', `/api/sync/blobs/${hash}`), 404, 'NOT_FOUND');
    await expectError(await bob.client.call('POST', `/api/sync/blobs/${hash}/verify`), 404, 'NOT_FOUND');
  });

  it('bad bodies and missing sessions are refused', async () => {
    const { client } = await signUp();
    const hash = 'e'.repeat(64);
    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: 0 } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: 64 * 1024 * 1024 + 1 } }), 400, 'VALIDATION_FAILED');
    await expectError(await new ApiClient().call('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: 1 } }), 401, 'UNAUTHENTICATED');
    await expectError(await new ApiClient().call('GET', `/api/sync/blobs/${hash}`), 401, 'UNAUTHENTICATED');
  });
});
