// Issue 9 item 4, reproduced against workerd + D1 + the local S3 server (SPEC S19): blobs a compaction removed are
// collected in two phases (marked at the commit, deleted after the grace period) by the Cron Trigger and after
// compaction commits, so a vault of 0 bytes no longer locks sync with 507 VAULT_FULL.
import { describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../shared/sync/hash';
import { vaultStatusResponseSchema } from '../../shared/sync/protocol';
import { GC_GRACE_MS } from '../../worker/src/jobs/blob-lifecycle';
import { appFetch, expectError, signUp } from './helpers';
import { MiB, junk, runCron, storedKeys } from './blob-lifecycle-helpers';
import { bytesOf, commitBody, commitOk, missing, putDirect, uploadSegment } from './sync-helpers';

const EIGHT_MIB = 8 * MiB;

/** Twelve distinct 8 MiB blobs (the most a direct upload takes), different for each `series`. */
function eightMiBBlob(series: number, index: number): Uint8Array<ArrayBuffer> {
  const bytes = junk(EIGHT_MIB, series * 16 + index);
  bytes[0] = series;
  bytes[1] = index;
  return bytes;
}

describe('S19: garbage collection of blobs no manifest references', () => {
  it('twelve 8 MiB blobs committed, then removed: before collection new uploads hit 507; after the Cron run they pass', { timeout: 300_000 }, async () => {
    const { client, user } = await signUp();
    const first: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const bytes = eightMiBBlob(1, i);
      expect((await putDirect(client, bytes)).status).toBe(201);
      first.push(await sha256Hex(bytes));
    }
    await commitOk(client, commitBody(0, first));
    const emptied = await commitOk(client, commitBody(1, [], { removedSegments: first }));
    expect(emptied.head.bytes).toBe(0);

    // The lock of the issue: 96 MiB unreferenced + 13 x 8 MiB = 200 MiB, the stored limit (S9); the 14th is refused.
    let accepted = 0;
    for (let i = 0; i < 14; i += 1) {
      const res = await putDirect(client, eightMiBBlob(2, i));
      if (res.status !== 201) {
        await expectError(res, 507, 'VAULT_FULL');
        break;
      }
      await res.body?.cancel();
      accepted += 1;
    }
    expect(accepted).toBe(13);

    // Inside the grace period nothing referenced recently is deleted.
    await runCron(Date.now());
    expect(await storedKeys(user.id)).toHaveLength(25);
    // After it, the removed blobs and the never-committed ones go, from D1 and from the store.
    await runCron(Date.now() + GC_GRACE_MS + 1000);
    expect(await storedKeys(user.id)).toEqual([]);
    expect(vaultStatusResponseSchema.parse((await client.json('GET', '/api/vault/status')).body).storedBlobs).toEqual({ count: 0, bytes: 0 });

    // Sync is unlocked: a full vault's worth uploads and commits again.
    const third: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const bytes = eightMiBBlob(3, i);
      expect((await putDirect(client, bytes)).status).toBe(201);
      third.push(await sha256Hex(bytes));
    }
    expect((await commitOk(client, commitBody(2, third))).head.bytes).toBe(12 * EIGHT_MIB);
  });

  it('never collects a blob the manifest references, and keeps an unreferenced one through the grace period', async () => {
    const { client, user } = await signUp();
    const live = await uploadSegment(client, 'referenced by the head');
    const pending = await uploadSegment(client, 'uploaded, commit still on its way');
    await commitOk(client, commitBody(0, [live]));

    await runCron(Date.now() + GC_GRACE_MS - 60_000);
    expect(await missing(client, [live, pending])).toEqual([]);
    await runCron(Date.now() + GC_GRACE_MS + 1000);
    expect(await missing(client, [live, pending])).toEqual([pending]);
    expect(await storedKeys(user.id)).toEqual([`users/${user.id}/blobs/${live}`]);
  });

  it('a blob added again by a later commit leaves the grace period and stays', async () => {
    const { client } = await signUp();
    const hash = await uploadSegment(client, 'removed, then restored');
    await commitOk(client, commitBody(0, [hash]));
    await commitOk(client, commitBody(1, [], { removedSegments: [hash] }));
    await commitOk(client, commitBody(2, [hash]));
    await runCron(Date.now() + GC_GRACE_MS + 1000);
    expect(await missing(client, [hash])).toEqual([]);
  });

  it('a commit naming a blob collected meanwhile is refused (BLOB_MISSING), so the head never points at deleted bytes', async () => {
    const { client } = await signUp();
    const hash = await uploadSegment(client, 'uploaded, then the device slept for hours');
    await runCron(Date.now() + GC_GRACE_MS + 1000);
    await expectError(await client.call('POST', '/api/sync/commit', { json: commitBody(0, [hash]) }), 409, 'BLOB_MISSING');
    // Re-uploading makes it committable again.
    expect((await putDirect(client, bytesOf('uploaded, then the device slept for hours'))).status).toBe(201);
    expect((await commitOk(client, commitBody(0, [hash]))).head.segmentCount).toBe(1);
  });

  it('a compaction commit collects this user\'s garbage whose grace period is over, without waiting for the Cron Trigger', async () => {
    let clock = Date.now();
    const { client, user } = await signUp({ fetch: appFetch({ now: () => clock }) });
    const old = await uploadSegment(client, 'compacted away long ago');
    const newer = await uploadSegment(client, 'compacted away just now');
    const kept = await uploadSegment(client, 'the compacted segment');
    await commitOk(client, commitBody(0, [old, newer]));
    await commitOk(client, commitBody(1, [], { removedSegments: [old] }));
    clock += GC_GRACE_MS + 1000;
    await commitOk(client, commitBody(2, [kept], { removedSegments: [newer] }));
    await vi.waitFor(async () => expect(await storedKeys(user.id)).toHaveLength(2), { timeout: 20_000, interval: 200 });
    expect(await missing(client, [old, newer, kept])).toEqual([old]);
  });
});
