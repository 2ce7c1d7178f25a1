// The app's sync client pieces that run without a browser: keys kept on the device (C22), the KDF calibration and
// the passphrase meter (C23), and the dashboard's figures (C25).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { SyncReport } from '../../shared/sync/engine';
import { deriveSyncKeys } from '../../shared/sync/keys';
import { calibrateKdf } from '../../web/src/sync/kdf';
import { forgetDeviceKeys, loadDeviceKeys, saveDeviceKeys } from '../../web/src/sync/key-store';
import { passphraseStrength } from '../../web/src/sync/passphrase-strength';
import { EMPTY_SYNC_STATS, HISTORY_LENGTH, recordSync, syncStatsSchema } from '../../web/src/sync/sync-stats';
import { useFreshDatabases } from './fresh-db';

const fresh = useFreshDatabases('sync-app-client');

function report(overrides: Partial<SyncReport>): SyncReport {
  return {
    state: 'in-sync',
    error: null,
    startedAt: 1000,
    finishedAt: 1400,
    pulledSegments: 1,
    pushedSegments: 0,
    bytesUp: 0,
    bytesDown: 2048,
    conflicts: 0,
    retries: 0,
    compacted: false,
    retryAt: null,
    ...overrides,
  };
}

describe('C22: keys on the device', () => {
  it('C22: only non-extractable sub-keys are stored; they still encrypt and sign after a round trip; forgetting removes them', async () => {
    const db = await fresh();
    const keys = await deriveSyncKeys(crypto.subtle, crypto.getRandomValues(new Uint8Array(32)), { vaultId: 'AAAAAAAAAAAAAAAAAAAAAA==' });
    await saveDeviceKeys(db, { userId: 'u1', keys, unlockedAt: 5 });
    const row = await db.syncState.get('sync.keys');
    const stored = JSON.stringify(row, (_k, v: unknown) => (v instanceof CryptoKey ? { extractable: v.extractable } : v));
    expect(stored).not.toMatch(/vaultKey|passphrase|recovery/i);
    const loaded = await loadDeviceKeys(db);
    expect(loaded?.userId).toBe('u1');
    expect(loaded?.keys.segmentKey.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', loaded!.keys.segmentKey)).rejects.toThrow();
    const iv = new Uint8Array(12);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, loaded!.keys.segmentKey, new Uint8Array([1, 2, 3]));
    expect(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, keys.segmentKey, sealed))).toEqual(new Uint8Array([1, 2, 3]));
    expect(loaded?.keys.keyId).toEqual(keys.keyId);
    await forgetDeviceKeys(db);
    expect(await loadDeviceKeys(db)).toBeNull();
  });
});

describe('C23: passphrase KDF and strength', () => {
  it('C23: Argon2id stays at 64 MiB and 3 to 12 passes, scaled to about a second of this device', async () => {
    let fakeNow = 0;
    const fast = await calibrateKdf({ now: () => (fakeNow += 5) });
    expect(fast).toEqual({ name: 'Argon2id', memoryKiB: 65_536, iterations: 12, parallelism: 1 });
    fakeNow = 0;
    const slow = await calibrateKdf({ now: () => (fakeNow += 2000) });
    expect(slow).toMatchObject({ name: 'Argon2id', memoryKiB: 65_536, iterations: 3 });
    fakeNow = 0;
    const middling = await calibrateKdf({ now: () => (fakeNow += 200) });
    expect(middling).toMatchObject({ iterations: 5 });
  });

  it('C23: without WebAssembly, PBKDF2-SHA256 with at least 600,000 iterations', async () => {
    let fakeNow = 0;
    expect(await calibrateKdf({ wasm: false, now: () => (fakeNow += 1) })).toMatchObject({ name: 'PBKDF2', hash: 'SHA-256', iterations: 5_000_000 });
    fakeNow = 0;
    expect(await calibrateKdf({ wasm: false, now: () => (fakeNow += 5000) })).toMatchObject({ name: 'PBKDF2', iterations: 600_000 });
  });

  it('C23: the meter refuses short or predictable passphrases and accepts a few unrelated words', () => {
    expect(passphraseStrength('short').acceptable).toBe(false);
    expect(passphraseStrength('password1234').acceptable).toBe(false);
    expect(passphraseStrength('aaaaaaaaaaaaaaaaaaaa').acceptable).toBe(false);
    expect(passphraseStrength('abcdefghijklmnop').acceptable).toBe(false);
    const good = passphraseStrength('velvet orbit marmalade quarry');
    expect(good.acceptable).toBe(true);
    expect(good.level).toBeGreaterThanOrEqual(2);
  });
});

describe('C25: dashboard figures', () => {
  it('C25: successes, failures, bytes, average time, conflicts and the last 50 syncs newest first', () => {
    let stats = EMPTY_SYNC_STATS;
    stats = recordSync(stats, report({ pushedSegments: 2, bytesUp: 4096, conflicts: 1, finishedAt: 1500 }));
    stats = recordSync(stats, report({ state: 'offline', error: { code: 'OFFLINE', message: 'offline' }, startedAt: 2000, finishedAt: 2100 }));
    stats = recordSync(stats, report({ state: 'error', error: { code: 'INTERNAL', message: 'x' }, startedAt: 3000, finishedAt: 3100 }));
    expect(stats).toMatchObject({ succeeded: 1, failed: 2, consecutiveFailures: 2, totalMs: 500, bytesUp: 4096, conflictsResolved: 1, lastPushAt: 1500, lastPullAt: 1500 });
    expect(stats.lastError?.code).toBe('INTERNAL');
    stats = recordSync(stats, report({ startedAt: 4000, finishedAt: 4300 }));
    expect(stats).toMatchObject({ succeeded: 2, consecutiveFailures: 0, totalMs: 800, lastPullAt: 4300, lastPushAt: 1500 });
    for (let i = 0; i < 60; i++) stats = recordSync(stats, report({ startedAt: 10_000 + i, finishedAt: 10_001 + i }));
    expect(stats.history).toHaveLength(HISTORY_LENGTH);
    expect(stats.history[0]?.finishedAt).toBe(10_060);
    expect(syncStatsSchema.parse(JSON.parse(JSON.stringify(stats)))).toEqual(stats);
  });
});
