// Commits and the manifest in workerd against migrated D1 (SPEC S5, S6, S7, S10, S11, S15).
import { describe, expect, it } from 'vitest';
import { applyCommits, emptyManifest, manifestFromCheckpoint, manifestBytes } from '../../shared/sync/manifest';
import { manifestResponseSchema, syncConflictResponseSchema, vaultHeadSchema } from '../../shared/sync/protocol';
import { ApiClient, appFetch, expectError, signUp } from './helpers';
import { commitBody, commitOk, missing, putDirect, uploadSegment, bytesOf } from './sync-helpers';

async function manifest(client: ApiClient, since: number) {
  const res = await client.json('GET', `/api/sync/manifest?since=${since}`);
  expect(res.status).toBe(200);
  return manifestResponseSchema.parse(res.body);
}

describe('S5: compare-and-set commits', () => {
  it('the first commit moves the head from 0 to 1 and a second device sees it', async () => {
    const { client } = await signUp();
    const seg = await uploadSegment(client, 'segment 1');
    const result = await commitOk(client, commitBody(0, [seg], { stats: { nodes: 3, conversations: 1 } }));
    expect(result.head).toMatchObject({ version: 1, segmentCount: 1, bytes: 9, stats: { nodes: 3, conversations: 1 } });
    expect(result.commit).toMatchObject({ version: 1, deviceId: 'device-a', addedSegments: [{ sha256: seg, size: 9 }] });

    const pulled = await manifest(client, 0);
    expect(pulled.head.version).toBe(1);
    expect(pulled.commits.map((c) => c.version)).toEqual([1]);
  });

  it('N parallel commits on the same base: exactly one wins, every other gets 409 with the winner\'s head', async () => {
    const { client } = await signUp();
    const segs = await Promise.all(Array.from({ length: 8 }, (_, i) => uploadSegment(client, `parallel segment ${i}`)));
    const responses = await Promise.all(
      segs.map((seg, i) => client.call('POST', '/api/sync/commit', { json: commitBody(0, [seg], { deviceId: `device-${i}` }) })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    for (const res of responses) {
      const body: unknown = await res.json();
      if (res.status === 409) {
        const conflict = syncConflictResponseSchema.parse(body);
        expect(conflict.error.code).toBe('SYNC_CONFLICT');
        expect(conflict.head).toMatchObject({ version: 1, segmentCount: 1 });
      }
    }
    // Losers wrote nothing: one commit, one segment.
    const pulled = await manifest(client, 0);
    expect(pulled.commits).toHaveLength(1);
    expect(pulled.head).toMatchObject({ version: 1, segmentCount: 1 });
  });

  it('a stale base is refused with the current head; merging and retrying on it succeeds', async () => {
    const { client } = await signUp();
    const a = await uploadSegment(client, 'from device a');
    const b = await uploadSegment(client, 'from device b');
    await commitOk(client, commitBody(0, [a]));
    const stale = await client.json('POST', '/api/sync/commit', { json: commitBody(0, [b], { deviceId: 'device-b' }) });
    expect(stale.status).toBe(409);
    const { head } = syncConflictResponseSchema.parse(stale.body);
    const retried = await commitOk(client, commitBody(head.version, [b], { deviceId: 'device-b' }));
    expect(retried.head).toMatchObject({ version: 2, segmentCount: 2 });
  });

  it('bad bodies are refused; a session is required, and an expired one is refused', async () => {
    const { client } = await signUp();
    await expectError(await client.call('POST', '/api/sync/commit', { json: { baseVersion: -1, deviceId: 'd', addedSegments: [] } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/sync/commit', { json: { baseVersion: 0, deviceId: 'bad id!', addedSegments: [] } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/sync/commit', { json: commitBody(0, ['X'.repeat(64)]) }), 400, 'VALIDATION_FAILED');
    await expectError(await new ApiClient().call('POST', '/api/sync/commit', { json: commitBody(0, []) }), 401, 'UNAUTHENTICATED');
    await expectError(await new ApiClient().call('GET', '/api/sync/manifest?since=0'), 401, 'UNAUTHENTICATED');

    const later = new ApiClient(appFetch({ now: () => Date.now() + 400 * 24 * 3600 * 1000 }));
    later.token = client.token;
    await expectError(await later.call('POST', '/api/sync/commit', { json: commitBody(0, []) }), 401, 'UNAUTHENTICATED');
  });
});

describe('S6: a commit references only verified blobs of this user', () => {
  it('a hash never uploaded is BLOB_MISSING and nothing changes', async () => {
    const { client } = await signUp();
    await expectError(await client.call('POST', '/api/sync/commit', { json: commitBody(0, ['1'.repeat(64)]) }), 409, 'BLOB_MISSING');
    expect((await manifest(client, 0)).head.version).toBe(0);
  });

  it('S4: a blob whose bytes did not match its hash cannot be committed', async () => {
    const { client } = await signUp();
    const claimed = (await missing(client, ['2'.repeat(64)]))[0]!;
    await expectError(await putDirect(client, bytesOf('not the bytes of 222...'), claimed), 422, 'BLOB_HASH_MISMATCH');
    await expectError(await client.call('POST', '/api/sync/commit', { json: commitBody(0, [claimed]) }), 409, 'BLOB_MISSING');
  });

  it('S15: another user\'s verified blob cannot be committed into my vault', async () => {
    const alice = await signUp();
    const bob = await signUp();
    const seg = await uploadSegment(alice.client, 'alice segment');
    await expectError(await bob.client.call('POST', '/api/sync/commit', { json: commitBody(0, [seg]) }), 409, 'BLOB_MISSING');
    expect((await manifest(bob.client, 0)).commits).toEqual([]);
    expect((await manifest(alice.client, 0)).head.version).toBe(0);
  });

  it('compaction removes segments; the manifest replays to the same segments and bytes as the head', async () => {
    const { client } = await signUp();
    const s1 = await uploadSegment(client, 'small one');
    const s2 = await uploadSegment(client, 'small two');
    const merged = await uploadSegment(client, 'small one + small two');
    await commitOk(client, commitBody(0, [s1, s2]));
    const compacted = await commitOk(client, commitBody(1, [merged], { removedSegments: [s1, s2] }));
    expect(compacted.head).toMatchObject({ version: 2, segmentCount: 1, bytes: 21 });

    const replayed = applyCommits(emptyManifest(), (await manifest(client, 0)).commits);
    expect(replayed.segments.map((s) => s.sha256)).toEqual([merged]);
    expect(manifestBytes(replayed)).toBe(compacted.head.bytes);
  });
});

describe('S7: tombstones and settings', () => {
  it('the head carries the latest settings; tombstones accumulate and replay', async () => {
    const { client } = await signUp();
    await commitOk(client, commitBody(0, [], { tombstones: ['node-1'], settings: 'c2V0dGluZ3MgdjE=' }));
    const second = await commitOk(client, commitBody(1, [], { tombstones: ['node-2', 'node-2'] }));
    expect(second.head).toMatchObject({ version: 2, tombstoneCount: 2, settings: 'c2V0dGluZ3MgdjE=' });
    const replayed = applyCommits(emptyManifest(), (await manifest(client, 0)).commits);
    expect([...replayed.tombstones].sort()).toEqual(['node-1', 'node-2']);
    expect(replayed.settings).toBe('c2V0dGluZ3MgdjE=');
  });

  it('settings must be base64 ciphertext', async () => {
    const { client } = await signUp();
    await expectError(await client.call('POST', '/api/sync/commit', { json: commitBody(0, [], { settings: '{"theme":"dark"}' }) }), 400, 'VALIDATION_FAILED');
  });
});

describe('S10: the vault quota is checked at commit', () => {
  it('a commit that would exceed the plan answers 507 VAULT_FULL and changes nothing; shrinking is still allowed', async () => {
    // 25-byte segments; each commit's metadata (S20: its segment list as JSON) is about 90 bytes more.
    const tiny = appFetch({}, { FREE_VAULT_BYTES: '150' });
    const { client } = await signUp({ fetch: tiny });
    const a = await uploadSegment(client, 'twenty-five bytes long..!');
    const b = await uploadSegment(client, 'another 25 bytes segment.');
    await commitOk(client, commitBody(0, [a]));
    await expectError(await client.call('POST', '/api/sync/commit', { json: commitBody(1, [b]) }), 507, 'VAULT_FULL');
    const { head } = await manifest(client, 0);
    expect(head).toMatchObject({ version: 1, bytes: 25 });
    // Replacing a with b keeps the vault at 25 bytes: allowed.
    expect((await commitOk(client, commitBody(1, [b], { removedSegments: [a] }))).head).toMatchObject({ version: 2, bytes: 25 });
  });

  it('S9: stored blobs may not exceed twice the quota, even unreferenced', async () => {
    const tiny = appFetch({}, { FREE_VAULT_BYTES: '20' });
    const { client } = await signUp({ fetch: tiny });
    await uploadSegment(client, 'twenty-five bytes long..!');
    await expectError(await putDirect(client, bytesOf('another 25 bytes segment.')), 507, 'VAULT_FULL');
  });
});

describe('S11: manifest since N', () => {
  it('returns only the commits after N, oldest first, with the head', async () => {
    const { client } = await signUp();
    for (let v = 0; v < 3; v += 1) await commitOk(client, commitBody(v, [await uploadSegment(client, `segment v${v + 1}`)]));
    const page = await manifest(client, 1);
    expect(page.head.version).toBe(3);
    expect(page.commits.map((c) => c.version)).toEqual([2, 3]);
    expect(page.hasMore).toBe(false);
    // S24: the server's clock rides along, so a device can tell its own is off (C40).
    expect(Math.abs((page.serverTime ?? 0) - Date.now())).toBeLessThan(60_000);
    expect((await manifest(client, 3)).commits).toEqual([]);
    // A device ahead of the server (the vault was reset) sees the lower head and no commits: it must reset too.
    const ahead = await manifest(client, 99);
    expect(ahead.commits).toEqual([]);
    expect(ahead.head.version).toBe(3);
    vaultHeadSchema.parse(page.head);
  });

  it('pages through a long history at most 200 commits at a time, and the pages replay to the head', async () => {
    const { client } = await signUp();
    for (let v = 0; v < 201; v += 1) await commitOk(client, commitBody(v, [], { tombstones: [`n${v}`] }));
    const first = await manifest(client, 0);
    expect(first.commits.length).toBeLessThanOrEqual(200);
    // S21: older commits may already be folded into a checkpoint; the page then starts right after it.
    let replayed = first.checkpoint === undefined ? emptyManifest() : manifestFromCheckpoint(first.checkpoint);
    replayed = applyCommits(replayed, first.commits);
    let page = first;
    while (page.hasMore) {
      page = await manifest(client, replayed.version);
      replayed = applyCommits(replayed, page.commits);
    }
    expect(replayed.version).toBe(page.head.version);
    expect(replayed.tombstones.size).toBe(page.head.tombstoneCount);
  });

  it('refuses a since that is not a non-negative integer', async () => {
    const { client } = await signUp();
    await expectError(await client.call('GET', '/api/sync/manifest?since=-1'), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('GET', '/api/sync/manifest?since=abc'), 400, 'VALIDATION_FAILED');
  });
});

describe('S15: every sync, vault and upload route needs a live session', () => {
  const hash = 'f'.repeat(64);
  const routes: [string, string, unknown][] = [
    ['POST', '/api/sync/blobs/missing', { hashes: [] }],
    ['PUT', `/api/sync/blobs/${hash}`, undefined],
    ['POST', `/api/sync/blobs/${hash}/upload-url`, { size: 1 }],
    ['POST', `/api/sync/blobs/${hash}/verify`, undefined],
    ['GET', `/api/sync/blobs/${hash}`, undefined],
    ['POST', '/api/sync/commit', commitBody(0, [])],
    ['GET', '/api/sync/manifest?since=0', undefined],
    ['GET', '/api/vault/status', undefined],
    ['GET', '/api/vault/key', undefined],
    ['PUT', '/api/vault/key', { expectedRevision: 0 }],
    ['GET', '/api/uploads', undefined],
    ['POST', '/api/uploads', {}],
    ['PATCH', `/api/uploads/${crypto.randomUUID()}`, { progress: 1 }],
  ];

  it('no session, a made-up token, and an expired session all answer 401 UNAUTHENTICATED', async () => {
    const { client } = await signUp();
    const expired = new ApiClient(appFetch({ now: () => Date.now() + 400 * 24 * 3600 * 1000 }));
    expired.token = client.token;
    const madeUp = new ApiClient();
    madeUp.token = 'x'.repeat(43);
    for (const [method, path, json] of routes) {
      for (const caller of [new ApiClient(), madeUp, expired]) {
        await expectError(await caller.call(method, path, json === undefined ? {} : { json }), 401, 'UNAUTHENTICATED');
      }
    }
  });
});
