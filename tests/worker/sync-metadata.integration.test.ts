// Issue 9 item 1, reproduced against workerd + D1 (SPEC S20, S21): commit metadata counts against the vault and is
// bounded per vault, the server folds old commits into a checkpoint, and a manifest response stays small.
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { applyCommits, emptyManifest, manifestBytes, manifestFromCheckpoint, type Manifest } from '../../shared/sync/manifest';
import { MANIFEST_PAGE_BYTES, MAX_VAULT_METADATA_BYTES, manifestResponseSchema, type ManifestResponse } from '../../shared/sync/protocol';
import { CHECKPOINT_KEEP_COMMITS } from '../../worker/src/repos/vault-commits';
import { appFetch, expectError, signUp, type ApiClient } from './helpers';
import { commitBody, commitOk, uploadSegment } from './sync-helpers';

/** The attack's commit: 5,000 tombstones of 128 characters and 64 KiB of settings, no segments. */
function heavyCommit(baseVersion: number): ReturnType<typeof commitBody> {
  const tombstones = Array.from({ length: 5000 }, (_, i) => `${baseVersion}-${i}-`.padEnd(128, 'x'));
  return commitBody(baseVersion, [], { tombstones, settings: 'A'.repeat(64 * 1024) });
}

async function manifestPage(client: ApiClient, since: number): Promise<{ page: ManifestResponse; bytes: number }> {
  const res = await client.call('GET', `/api/sync/manifest?since=${since}`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { page: manifestResponseSchema.parse(JSON.parse(text)), bytes: new TextEncoder().encode(text).byteLength };
}

/** Pulls like a device at `since` holding `start`: the checkpoint when one comes, then every page. */
async function pullAll(client: ApiClient, start: Manifest): Promise<{ manifest: Manifest; largestResponse: number; sawCheckpoint: boolean }> {
  let manifest = start;
  let largestResponse = 0;
  let sawCheckpoint = false;
  for (;;) {
    const { page, bytes } = await manifestPage(client, manifest.version);
    largestResponse = Math.max(largestResponse, bytes);
    if (page.checkpoint !== undefined) {
      manifest = manifestFromCheckpoint(page.checkpoint);
      sawCheckpoint = true;
    }
    manifest = applyCommits(manifest, page.commits);
    if (!page.hasMore) return { manifest, largestResponse, sawCheckpoint };
  }
}

describe('S20: commit metadata counts against the vault, with a bound per vault', () => {
  it('the attack of the issue (5,000 x 128-char tombstones + 64 KiB settings per commit) stops at the bound, and usage shows the bytes', async () => {
    const { client, user } = await signUp();
    let version = 0;
    let refused: Response | null = null;
    for (let i = 0; i < 200 && refused === null; i += 1) {
      const res = await client.call('POST', '/api/sync/commit', { json: heavyCommit(version) });
      if (res.status === 201) {
        await res.body?.cancel();
        version += 1;
      } else refused = res;
    }
    expect(refused).not.toBeNull();
    await expectError(refused!, 507, 'VAULT_HISTORY_FULL');
    expect(version).toBeLessThanOrEqual(Math.ceil(MAX_VAULT_METADATA_BYTES / (5000 * 130)));

    const stored = await env.DB.prepare('SELECT COALESCE(SUM(meta_bytes), 0) AS n FROM vault_commits WHERE user_id = ?').bind(user.id).first('n');
    expect(stored).toBeLessThanOrEqual(MAX_VAULT_METADATA_BYTES);
    const usage = await client.json<{ vault: { bytesUsed: number } }>('GET', '/api/usage');
    expect(usage.body.vault.bytesUsed).toBeGreaterThan(version * 5000 * 128);

    // A commit that only changes segments still passes, so the vault can always compact.
    const segment = await uploadSegment(client, 'still room to compact');
    expect((await commitOk(client, commitBody(version, [segment]))).head.version).toBe(version + 1);
  });

  it('metadata counts toward the plan quota: once tombstones fill a small plan, a segment that alone would fit is refused', async () => {
    const { client } = await signUp({ fetch: appFetch({}, { FREE_VAULT_BYTES: String(300 * 1024) }) });
    const deleted = await commitOk(client, heavyCommit(0));
    expect(deleted.head.metaBytes).toBeGreaterThan(300 * 1024);
    expect(deleted.head.bytes).toBe(0);
    const segment = await uploadSegment(client, 'a small segment');
    await expectError(await client.call('POST', '/api/sync/commit', { json: commitBody(1, [segment]) }), 507, 'VAULT_FULL');
  });
});

describe('S21: checkpoint and pages bounded by bytes', () => {
  it('"since 0" is the checkpoint plus a short tail, and replays to the head; devices behind the checkpoint get it too', async () => {
    const { client } = await signUp();
    const segments: string[] = [];
    let version = 0;
    // 60 commits: each adds a segment and tombstones a node; every third also compacts the previous segment away.
    for (let i = 0; i < 60; i += 1) {
      const hash = await uploadSegment(client, `segment ${i}`);
      const removed = i % 3 === 2 ? [segments.pop()!] : [];
      segments.push(hash);
      await commitOk(client, commitBody(version, [hash], { removedSegments: removed, tombstones: [`node-${i}`], settings: i % 10 === 0 ? `c2V0dGluZ3M${i}` : null }));
      version += 1;
    }
    // The fold runs after the response; wait until since=0 is served from a checkpoint.
    await vi.waitFor(async () => expect((await manifestPage(client, 0)).page.checkpoint).toBeDefined(), { timeout: 20_000, interval: 200 });

    const { page } = await manifestPage(client, 0);
    const checkpoint = page.checkpoint!;
    expect(page.commits[0]?.version).toBe(checkpoint.version + 1);
    expect(page.commits.length).toBeLessThanOrEqual(60 - checkpoint.version);
    expect(page.head.version - checkpoint.version).toBeGreaterThanOrEqual(CHECKPOINT_KEEP_COMMITS);

    const fromZero = await pullAll(client, emptyManifest());
    expect(fromZero.sawCheckpoint).toBe(true);
    expect(fromZero.manifest.version).toBe(page.head.version);
    expect(fromZero.manifest.segments.map((s) => s.sha256)).toEqual(segments);
    expect(manifestBytes(fromZero.manifest)).toBe(page.head.bytes);
    expect(fromZero.manifest.tombstones.size).toBe(60);

    // A device that last synced at version 5 (folded away) restarts from the checkpoint and ends in the same place.
    const behind = await pullAll(client, { ...emptyManifest(), version: 5 });
    expect(behind.sawCheckpoint).toBe(true);
    expect(behind.manifest.segments).toEqual(fromZero.manifest.segments);
    // A device just behind the head gets commits only.
    const near = await manifestPage(client, page.head.version - 2);
    expect(near.page.checkpoint).toBeUndefined();
    expect(near.page.commits.map((c) => c.version)).toEqual([page.head.version - 1, page.head.version]);
  });

  it('folding shrinks the metadata the vault is charged for', async () => {
    const { client } = await signUp();
    let version = 0;
    // The same 64 KiB settings replaced 40 times: the checkpoint keeps only the last one; the kept tail keeps its own.
    for (let i = 0; i < 40; i += 1) await commitOk(client, commitBody(version++, [], { settings: 'B'.repeat(64 * 1024) }));
    const unfolded = 40 * 64 * 1024;
    await vi.waitFor(async () => expect((await manifestPage(client, 0)).page.head.metaBytes).toBeLessThan(unfolded / 2), { timeout: 20_000, interval: 200 });
  });

  it('pages hold at most MANIFEST_PAGE_BYTES of commits after the first, so a response stays about a megabyte', async () => {
    const { client } = await signUp();
    for (let v = 0; v < 24; v += 1) await commitOk(client, commitBody(v, [], { settings: 'C'.repeat(64 * 1024), tombstones: [`n${v}`] }));
    const { manifest, largestResponse } = await pullAll(client, emptyManifest());
    expect(manifest.version).toBe(24);
    expect(manifest.tombstones.size).toBe(24);
    expect(largestResponse).toBeLessThan(MANIFEST_PAGE_BYTES + 128 * 1024);
    const first = await manifestPage(client, 0);
    expect(first.page.hasMore).toBe(true);
  });
});
