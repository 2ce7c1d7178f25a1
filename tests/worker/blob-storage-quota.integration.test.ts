// S9: stored bytes are bounded, including presigned uploads that were announced but never verified: those bytes sit
// in the blob store all the same, so they count until they are verified or replaced.
import { describe, expect, it } from 'vitest';
import { appFetch, expectError, signUp } from './helpers';
import { bytesOf, putDirect } from './sync-helpers';

const QUOTA = 1000;
/** STORED_BLOB_QUOTA_FACTOR in worker/src/routes/sync.ts. */
const STORED_LIMIT = 2 * QUOTA;

function hashOf(digit: string): string {
  return digit.repeat(64);
}

describe('S9: presigned uploads count against the stored-bytes limit', () => {
  it('refuses a new upload URL once announced, unverified uploads fill the limit', async () => {
    const { client } = await signUp({ fetch: appFetch({}, { FREE_VAULT_BYTES: String(QUOTA) }) });
    const ask = (hash: string, size: number) => client.call('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size } });
    expect((await ask(hashOf('1'), STORED_LIMIT / 2)).status).toBe(200);
    expect((await ask(hashOf('2'), STORED_LIMIT / 2)).status).toBe(200);
    // Asking again for the same blob replaces its announcement rather than adding to it.
    expect((await ask(hashOf('2'), STORED_LIMIT / 2)).status).toBe(200);
    await expectError(await ask(hashOf('3'), 1), 507, 'VAULT_FULL');
  });
});

describe('S9: the stored-bytes limit holds under concurrent uploads', () => {
  const CONCURRENT = 10;
  const SIZE = STORED_LIMIT / 4;

  it('concurrent upload-url requests for different blobs reserve at most the limit', async () => {
    const { client } = await signUp({ fetch: appFetch({}, { FREE_VAULT_BYTES: String(QUOTA) }) });
    const hashes = Array.from({ length: CONCURRENT }, (_, i) => i.toString(16).padStart(2, '0').repeat(32));
    const responses = await Promise.all(hashes.map((hash) => client.call('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: SIZE } })));
    const statuses = await Promise.all(responses.map(async (r) => (await r.body?.cancel(), r.status)));
    expect(statuses.filter((s) => s === 200).length).toBe(STORED_LIMIT / SIZE);
    expect(statuses.filter((s) => s === 507).length).toBe(CONCURRENT - STORED_LIMIT / SIZE);
  });

  it('concurrent direct uploads of different blobs store at most the limit', async () => {
    const { client } = await signUp({ fetch: appFetch({}, { FREE_VAULT_BYTES: String(QUOTA) }) });
    const blobs = Array.from({ length: CONCURRENT }, (_, i) => bytesOf(String(i).padStart(SIZE, '0')));
    const responses = await Promise.all(blobs.map((bytes) => putDirect(client, bytes)));
    const statuses = await Promise.all(responses.map(async (r) => (await r.body?.cancel(), r.status)));
    expect(statuses.filter((s) => s === 201).length).toBe(STORED_LIMIT / SIZE);
    expect(statuses.filter((s) => s === 507).length).toBe(CONCURRENT - STORED_LIMIT / SIZE);
  });
});

describe('S9: an unlimited vault (-1 in wrangler.toml)', () => {
  it('accepts direct and presigned uploads', async () => {
    const { client } = await signUp({ fetch: appFetch({}, { FREE_VAULT_BYTES: '-1' }) });
    expect((await putDirect(client, bytesOf('a segment in an unlimited vault'))).status).toBe(201);
    expect((await client.call('POST', `/api/sync/blobs/${hashOf('9')}/upload-url`, { json: { size: 1000 } })).status).toBe(200);
  });
});
