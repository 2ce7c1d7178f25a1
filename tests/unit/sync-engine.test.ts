// Client rules C1-C17 of shared/sync/SPEC.md, one or more tests each, on the real engine with the in-memory store
// and the in-memory server (S1-S16). The convergence property (C18) is tests/unit/sync-simulation.test.ts.
import { describe, expect, it } from 'vitest';
import type { Conversation, MemoryNode } from '../../shared/model';
import { SyncEngine, type SyncLimits } from '../../shared/sync/engine';
import { sha256Hex } from '../../shared/sync/hash';
import { MAX_DRIFT_MS, formatHlc } from '../../shared/sync/hlc';
import {
  DEFAULT_ARGON2,
  FALLBACK_PBKDF2,
  createVault,
  deriveSyncKeys,
  keyedId,
  rewrapWithPassphrase,
  unlockWithPassphrase,
  unlockWithRecoveryCode,
  type SyncKeys,
} from '../../shared/sync/keys';
import { mergeLines, resolveNote } from '../../shared/sync/merge';
import { TransportError, type Transport } from '../../shared/sync/ports';
import { wrappedKeySchema, type CommitRequest } from '../../shared/sync/protocol';
import { recordKey, type NoteVersionRecord, type SyncRecord } from '../../shared/sync/records';
import { SEGMENT_FORMAT_VERSION, decodeSegment, encodeSegment, padmeLength } from '../../shared/sync/segment';
import { MemoryServer, MemoryTransport } from '../../shared/sync/testing/memory-server';
import { MemoryStore } from '../../shared/sync/testing/memory-store';
import { seededRandom } from '../../shared/sync/testing/seeded';
import { addMemory, deleteItem, editNote, importItems, mergeRecord, mergeRecords, readNote, setValue, vaultDigest } from '../../shared/sync/vault-ops';

const random = seededRandom(42);
const systemRandom = { bytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() };

async function keysFor(vaultKeyByte: number, vaultIdByte = 1): Promise<SyncKeys> {
  return deriveSyncKeys(crypto.subtle, new Uint8Array(32).fill(vaultKeyByte), { vaultId: Buffer.alloc(16, vaultIdByte).toString('base64') });
}

function sample(index: number, marker = `marker-${index}`): { conversations: Conversation[]; nodes: MemoryNode[] } {
  const id = `claude:c${index}`;
  const node: MemoryNode = {
    schemaVersion: 1,
    id: Buffer.alloc(32, index).toString('hex'),
    kind: 'exchange',
    provider: 'claude',
    conversationId: id,
    ordinal: 0,
    active: true,
    branchId: null,
    human: { text: `question about ${marker}`, messageIds: ['h'], createdAt: 1, model: null },
    assistant: { text: `answer about ${marker}`, messageIds: ['a'], createdAt: 2, model: null },
    extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
    attachments: [],
    createdAt: 1,
  };
  const conversation: Conversation = {
    schemaVersion: 1,
    id,
    provider: 'claude',
    providerConversationId: `c${index}`,
    kind: 'chat',
    title: `Title ${marker}`,
    createdAt: 1,
    updatedAt: 2,
    model: null,
    messageCount: 2,
    nodeCount: 1,
    raw: `{"marker":"${marker}"}`,
  };
  return { conversations: [conversation], nodes: [node] };
}

interface Rig {
  now: { value: number };
  server: MemoryServer;
  keys: SyncKeys;
  sleeps: number[];
  device(name: string, options?: { transport?: (inner: Transport) => Transport; keys?: SyncKeys; limits?: Partial<SyncLimits>; offsetMs?: number }): {
    store: MemoryStore;
    engine: SyncEngine;
    ctx: { store: MemoryStore; clock: { now: () => number }; deviceId: string };
    states: string[];
  };
}

async function rig(serverOptions: { quotaBytes?: number; pageSize?: number } = {}): Promise<Rig> {
  const now = { value: 1_780_000_000_000 };
  const server = new MemoryServer({ clock: { now: () => now.value }, ...serverOptions });
  const keys = await keysFor(9);
  const sleeps: number[] = [];
  return {
    now,
    server,
    keys,
    sleeps,
    device(name, options = {}) {
      const store = new MemoryStore(name);
      const inner: Transport = new MemoryTransport(server, 'user');
      const clock = { now: () => now.value + (options.offsetMs ?? 0) };
      const states: string[] = [];
      const engine = new SyncEngine({
        store,
        transport: options.transport?.(inner) ?? inner,
        cipher: crypto.subtle,
        random,
        clock,
        sleep: (ms) => {
          sleeps.push(ms);
          now.value += ms;
          return Promise.resolve();
        },
        keys: options.keys ?? keys,
        deviceId: name,
        limits: options.limits,
        onState: (state) => states.push(state),
      });
      return { store, engine, ctx: { store, clock, deviceId: name }, states };
    },
  };
}

/** What a bad segment must not change: the vault, the queue, what counts as applied, the clock. */
async function snapshotOf(store: MemoryStore) {
  const cursor = await store.transaction((tx) => tx.getCursor());
  return { digest: await vaultDigest(store), applied: cursor.applied, hlc: cursor.hlc, pending: store.pendingCount() };
}

describe('C1: segment format v1', () => {
  it('round-trips, pads with Padmé, and names the bytes by their SHA-256', async () => {
    const keys = await keysFor(1);
    const payload = { records: [{ type: 'memory' as const, id: 'm1', text: 'I like tea', hlc: formatHlc({ wall: 1, counter: 0, node: 'a' }) }], tombstones: ['node:x'] };
    const segment = await encodeSegment(crypto.subtle, random, keys, 'delta', payload);
    expect(segment.sha256).toBe(await sha256Hex(segment.bytes));
    expect(segment.bytes[4]).toBe(SEGMENT_FORMAT_VERSION);
    expect(segment.bytes.length - 28 - 16).toBe(padmeLength(segment.bytes.length - 28 - 16));
    expect(Buffer.from(segment.bytes).includes('I like tea')).toBe(false);
    expect(await decodeSegment(crypto.subtle, keys, segment.bytes)).toEqual({ kind: 'delta', payload });
    expect(padmeLength(1_000_000)).toBeGreaterThanOrEqual(1_000_000);
    expect(padmeLength(1_000_000) - 1_000_000).toBeLessThan(1_000_000 * 0.12);
  });

  it('tells apart damage, truncation, an unknown version, another vault key and another vault', async () => {
    const keys = await keysFor(1);
    const { bytes } = await encodeSegment(crypto.subtle, random, keys, 'snapshot', { records: [], tombstones: [] });
    const codeOf = (p: Promise<unknown>) => p.then(() => 'decoded', (e: { code?: string }) => e.code);
    const flipped = bytes.slice();
    flipped[bytes.length - 5]! ^= 1;
    expect(await codeOf(decodeSegment(crypto.subtle, keys, flipped))).toBe('SYNC_SEGMENT_TAMPERED');
    expect(await codeOf(decodeSegment(crypto.subtle, keys, bytes.slice(0, 30)))).toBe('SYNC_SEGMENT_TAMPERED');
    const kindChanged = bytes.slice();
    kindChanged[5] = 0;
    expect(await codeOf(decodeSegment(crypto.subtle, keys, kindChanged))).toBe('SYNC_SEGMENT_TAMPERED');
    const newer = bytes.slice();
    newer[4] = 2;
    expect(await codeOf(decodeSegment(crypto.subtle, keys, newer))).toBe('SYNC_SEGMENT_UNSUPPORTED');
    expect(await codeOf(decodeSegment(crypto.subtle, await keysFor(2), bytes))).toBe('SYNC_WRONG_VAULT_KEY');
    // Same key material, another vault id: the associated data no longer matches.
    const otherVault = { ...keys, vaultId: Buffer.alloc(16, 5).toString('base64') };
    expect(await codeOf(decodeSegment(crypto.subtle, otherVault, bytes))).toBe('SYNC_SEGMENT_TAMPERED');
  });
});

describe('C2, C3: vault keys', () => {
  it('C2: Argon2id (64 MiB, 3 passes) wraps a random key; the stored wrapper carries its parameters; a wrong passphrase is its own error', async () => {
    const vault = await createVault(crypto.subtle, systemRandom, 'correct horse battery staple');
    expect(wrappedKeySchema.parse(vault.wrappedKey).kdf).toEqual(DEFAULT_ARGON2);
    expect(DEFAULT_ARGON2).toMatchObject({ memoryKiB: 65_536, iterations: 3 });
    expect(await unlockWithPassphrase(crypto.subtle, vault.wrappedKey, 'correct horse battery staple')).toEqual(vault.vaultKey);
    await expect(unlockWithPassphrase(crypto.subtle, vault.wrappedKey, 'wrong horse')).rejects.toMatchObject({ code: 'CRYPTO_WRONG_PASSPHRASE' });
    expect(JSON.stringify(vault.wrappedKey)).not.toContain(Buffer.from(vault.vaultKey).toString('base64'));
  });

  it('C2: PBKDF2 with 600,000 iterations is the fallback and unlocks the same way', async () => {
    const vault = await createVault(crypto.subtle, systemRandom, 'pass phrase', FALLBACK_PBKDF2);
    expect(vault.wrappedKey.kdf).toEqual({ name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000 });
    expect(await unlockWithPassphrase(crypto.subtle, vault.wrappedKey, 'pass phrase')).toEqual(vault.vaultKey);
  });

  it('C3: the recovery code unlocks the same key; a passphrase change re-wraps it and keeps the recovery code working', async () => {
    const vault = await createVault(crypto.subtle, systemRandom, 'first passphrase');
    expect(vault.recoveryCode).toMatch(/^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
    expect(await unlockWithRecoveryCode(crypto.subtle, vault.wrappedKey, vault.recoveryCode.toLowerCase())).toEqual(vault.vaultKey);
    await expect(unlockWithRecoveryCode(crypto.subtle, vault.wrappedKey, 'AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA')).rejects.toMatchObject({
      code: 'CRYPTO_WRONG_RECOVERY_CODE',
    });
    const rewrapped = await rewrapWithPassphrase(crypto.subtle, systemRandom, vault.wrappedKey, vault.vaultKey, 'second passphrase');
    expect(rewrapped.vaultId).toBe(vault.wrappedKey.vaultId);
    expect(rewrapped.recovery).toEqual(vault.wrappedKey.recovery);
    expect(await unlockWithPassphrase(crypto.subtle, rewrapped, 'second passphrase')).toEqual(vault.vaultKey);
    await expect(unlockWithPassphrase(crypto.subtle, rewrapped, 'first passphrase')).rejects.toMatchObject({ code: 'CRYPTO_WRONG_PASSPHRASE' });
    expect(await unlockWithRecoveryCode(crypto.subtle, rewrapped, vault.recoveryCode)).toEqual(vault.vaultKey);
    // Same vault key and id, so segments written before the change still decrypt.
    const before = await deriveSyncKeys(crypto.subtle, vault.vaultKey, vault.wrappedKey);
    const after = await deriveSyncKeys(crypto.subtle, await unlockWithPassphrase(crypto.subtle, rewrapped, 'second passphrase'), rewrapped);
    const segment = await encodeSegment(crypto.subtle, random, before, 'delta', { records: [], tombstones: ['x'] });
    expect((await decodeSegment(crypto.subtle, after, segment.bytes)).payload.tombstones).toEqual(['x']);
  });
});

describe('C4: bad input never writes to the local vault', () => {
  async function pulledOnce() {
    const r = await rig();
    const laptop = r.device('laptop');
    await importItems(laptop.ctx, sample(1));
    expect((await laptop.engine.sync()).state).toBe('in-sync');
    const phone = r.device('phone');
    await importItems(phone.ctx, sample(2));
    const before = await snapshotOf(phone.store);
    return { r, laptop, phone, before };
  }

  it('a tampered segment: error state SYNC_SEGMENT_TAMPERED, nothing written', async () => {
    const { r, phone, before } = await pulledOnce();
    const [hash] = [...r.server.vault('user').segments.keys()];
    const bytes = r.server.vault('user').blobs.get(hash!)!.slice();
    bytes[40]! ^= 0xff;
    r.server.replaceBlob('user', hash!, bytes);
    const report = await phone.engine.sync();
    expect(report).toMatchObject({ state: 'error', error: { code: 'SYNC_SEGMENT_TAMPERED' } });
    expect(await snapshotOf(phone.store)).toEqual(before);
  });

  it('a server that returns another vault\u2019s data: SYNC_WRONG_VAULT_KEY, nothing written', async () => {
    const { r, phone, before } = await pulledOnce();
    const [hash] = [...r.server.vault('user').segments.keys()];
    // A validly named segment of another vault, served under this vault's manifest entry.
    const foreign = await encodeSegment(crypto.subtle, random, await keysFor(77), 'delta', { records: [], tombstones: ['conversation:claude:c2'] });
    r.server.replaceBlob('user', hash!, foreign.bytes);
    const report = await phone.engine.sync();
    // The bytes no longer match the name the manifest gives: caught by S4 before decryption.
    expect(report).toMatchObject({ state: 'error', error: { code: 'SYNC_SEGMENT_TAMPERED' } });
    expect(await snapshotOf(phone.store)).toEqual(before);
    const wrongKey = r.device('tablet', { keys: await keysFor(78) });
    r.server.replaceBlob('user', hash!, r.server.vault('user').blobs.get(hash!)!);
    const tabletBefore = await snapshotOf(wrongKey.store);
    r.server.vault('user').blobs.set(hash!, (await encodeSegment(crypto.subtle, random, r.keys, 'delta', { records: [], tombstones: [] })).bytes);
    expect((await wrongKey.engine.sync()).error?.code).toMatch(/SYNC_SEGMENT_TAMPERED|SYNC_WRONG_VAULT_KEY/);
    expect(await snapshotOf(wrongKey.store)).toEqual(tabletBefore);
  });

  it('a device unlocked with another vault key: SYNC_WRONG_VAULT_KEY, nothing written', async () => {
    const { r } = await pulledOnce();
    const stranger = r.device('stranger', { keys: await keysFor(55) });
    await importItems(stranger.ctx, sample(3));
    const before = await snapshotOf(stranger.store);
    expect(await stranger.engine.sync()).toMatchObject({ state: 'error', error: { code: 'SYNC_WRONG_VAULT_KEY' } });
    expect(await snapshotOf(stranger.store)).toEqual(before);
  });

  it('an unknown segment version: SYNC_SEGMENT_UNSUPPORTED, nothing written', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    const segment = await encodeSegment(crypto.subtle, random, r.keys, 'delta', { records: [], tombstones: [] });
    const newer = segment.bytes.slice();
    newer[4] = 9;
    const name = await sha256Hex(newer);
    await r.server.putDirect('user', name, newer);
    await r.server.commit('user', { baseVersion: 0, deviceId: 'future', addedSegments: [name] });
    await importItems(laptop.ctx, sample(1));
    const before = await snapshotOf(laptop.store);
    expect(await laptop.engine.sync()).toMatchObject({ state: 'error', error: { code: 'SYNC_SEGMENT_UNSUPPORTED' } });
    expect(await snapshotOf(laptop.store)).toEqual(before);
  });

  it('a manifest that names a missing blob: bounded retries, then BLOB_MISSING, nothing written', async () => {
    const { r, phone, before } = await pulledOnce();
    const [hash] = [...r.server.vault('user').segments.keys()];
    r.server.dropBlob('user', hash!);
    const report = await phone.engine.sync();
    expect(report).toMatchObject({ state: 'error', error: { code: 'BLOB_MISSING' } });
    expect(report.retries).toBe(7);
    expect(await snapshotOf(phone.store)).toEqual(before);
  });
});

describe('C5, C6: pull, one transaction per segment, resumable', () => {
  it('C5: follows manifest pages (hasMore) and applies every segment', async () => {
    const r = await rig({ pageSize: 2 });
    const laptop = r.device('laptop');
    for (let i = 1; i <= 5; i += 1) {
      await importItems(laptop.ctx, sample(i));
      await laptop.engine.sync();
    }
    const phone = r.device('phone');
    const report = await phone.engine.sync();
    expect(report).toMatchObject({ state: 'in-sync', pulledSegments: 5 });
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));
  });

  it('C6: a pull cut off mid-way resumes from the stored cursor without fetching again what it applied', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    for (let i = 1; i <= 4; i += 1) {
      await importItems(laptop.ctx, sample(i));
      await laptop.engine.sync();
    }
    let downloads = 0;
    const cutAfterTwo = (inner: Transport): Transport => ({
      ...bind(inner),
      downloadBlob: async (h) => {
        downloads += 1;
        if (downloads > 2) throw new Error('tab closed');
        return inner.downloadBlob(h);
      },
    });
    const phone = r.device('phone', { transport: cutAfterTwo });
    expect((await phone.engine.sync()).state).toBe('error');
    const cursor = await phone.store.transaction((tx) => tx.getCursor());
    expect(cursor).toMatchObject({ version: 4 });
    expect(cursor.applied).toHaveLength(2);
    // The "reopened tab": a new engine on the same store.
    let again = 0;
    const counting = (inner: Transport): Transport => ({
      ...bind(inner),
      downloadBlob: (h) => {
        again += 1;
        return inner.downloadBlob(h);
      },
    });
    const resumed = new SyncEngine({
      store: phone.store,
      transport: counting(new MemoryTransport(r.server, 'user')),
      cipher: crypto.subtle,
      random,
      clock: { now: () => r.now.value },
      sleep: () => Promise.resolve(),
      keys: r.keys,
      deviceId: 'phone',
    });
    expect((await resumed.sync()).state).toBe('in-sync');
    expect(again).toBe(2);
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));
  });
});

describe('C5: a segment merges in chunks', () => {
  it('yields between chunks; cut off between two, the segment is not applied and merges again to the same vault', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    for (let i = 1; i <= 3; i += 1) await importItems(laptop.ctx, sample(i));
    expect(await laptop.engine.sync()).toMatchObject({ state: 'in-sync', pushedSegments: 1 });

    const store = new MemoryStore('phone');
    let puts = 0;
    let failAtPut = 3;
    // The "tab closed" part way: the third record written throws, in the second chunk of two records.
    const cutOff: typeof store = Object.create(store) as typeof store;
    cutOff.transaction = (fn) =>
      store.transaction((tx) =>
        fn({
          ...tx,
          putRecords: async (records) => {
            puts += records.length;
            if (puts >= failAtPut) throw new Error('tab closed');
            return tx.putRecords?.(records);
          },
        }),
      );
    let yields = 0;
    const engine = (): SyncEngine =>
      new SyncEngine({
        store: cutOff,
        transport: new MemoryTransport(r.server, 'user'),
        cipher: crypto.subtle,
        random,
        clock: { now: () => r.now.value },
        sleep: () => Promise.resolve(),
        yieldToHost: () => {
          yields += 1;
          return Promise.resolve();
        },
        keys: r.keys,
        deviceId: 'phone',
        limits: { applyChunkRecords: 2 },
      });
    expect((await engine().sync()).state).toBe('error');
    const cut = await store.transaction((tx) => tx.getCursor());
    expect(cut.applied).toEqual([]);
    // The first chunk stayed (its own transaction); the second rolled back.
    expect((await store.allRecords()).length).toBe(2);
    expect(yields).toBe(1);

    failAtPut = Number.POSITIVE_INFINITY;
    yields = 0;
    expect((await engine().sync()).state).toBe('in-sync');
    expect(yields).toBe(2);
    expect((await store.transaction((tx) => tx.getCursor())).applied).toHaveLength(1);
    expect(await vaultDigest(store)).toBe(await vaultDigest(laptop.store));
  });
});

describe('mergeRecords', () => {
  it('batched reads and writes end as one-by-one mergeRecord does: a key seen twice, a tombstoned owner, a stored loser', async () => {
    const records: SyncRecord[] = [
      { type: 'lww', id: 'title:claude:c1', value: 'first', hlc: formatHlc({ wall: 5, counter: 0, node: 'a' }) },
      { type: 'lww', id: 'title:claude:c1', value: 'later', hlc: formatHlc({ wall: 9, counter: 0, node: 'b' }) },
      { type: 'lww', id: 'title:claude:c1', value: 'older', hlc: formatHlc({ wall: 7, counter: 0, node: 'c' }) },
      ...sample(1).conversations.map((value): SyncRecord => ({ type: 'conversation', id: value.id, value })),
      ...sample(1).nodes.map((value): SyncRecord => ({ type: 'node', id: value.id, value })),
      // Its conversation is deleted below: neither may come in.
      ...sample(2).conversations.map((value): SyncRecord => ({ type: 'conversation', id: value.id, value })),
      ...sample(2).nodes.map((value): SyncRecord => ({ type: 'node', id: value.id, value })),
      { type: 'lww', id: 'setting:theme', value: 'light', hlc: formatHlc({ wall: 1, counter: 0, node: 'a' }) },
    ];
    const merged = async (batched: boolean): Promise<string> => {
      const store = new MemoryStore('x');
      await store.transaction(async (tx) => {
        await tx.addTombstone('conversation:claude:c2');
        await tx.putRecord({ type: 'lww', id: 'setting:theme', value: 'dark', hlc: formatHlc({ wall: 3, counter: 0, node: 'z' }) });
      });
      await store.transaction((tx) =>
        mergeRecords(batched ? tx : { ...tx, tombstonedAmong: undefined, getRecords: undefined, putRecords: undefined }, records),
      );
      return vaultDigest(store);
    };
    const oneByOne = new MemoryStore('y');
    await oneByOne.transaction(async (tx) => {
      await tx.addTombstone('conversation:claude:c2');
      await tx.putRecord({ type: 'lww', id: 'setting:theme', value: 'dark', hlc: formatHlc({ wall: 3, counter: 0, node: 'z' }) });
    });
    await oneByOne.transaction(async (tx) => {
      for (const record of records) await mergeRecord({ ...tx, tombstonedAmong: undefined, getRecords: undefined, putRecords: undefined }, record);
    });
    expect(await merged(true)).toBe(await vaultDigest(oneByOne));
    expect(await merged(false)).toBe(await vaultDigest(oneByOne));
    const all = await oneByOne.allRecords();
    expect(all.find((r) => r.type === 'lww' && r.id === 'title:claude:c1')).toMatchObject({ value: 'later' });
    expect(all.find((r) => r.type === 'lww' && r.id === 'setting:theme')).toMatchObject({ value: 'dark' });
    expect(all.some((r) => r.type === 'node' && r.value.conversationId === 'claude:c2')).toBe(false);
  });
});

describe('C7, C13: push', () => {
  it('C7: changes leave the queue only after the commit; presigned upload falls back to the direct one', async () => {
    const r = await rig();
    const phone = r.device('phone', { transport: () => new MemoryTransport(r.server, 'user', { presignedFails: true }) });
    await importItems(phone.ctx, sample(1));
    expect(phone.store.pendingCount()).toBe(2);
    const failing = r.device('laptop', {
      transport: (inner) => ({ ...bind(inner), commit: () => Promise.reject(new TransportError('network')) }),
      limits: { maxTransientRetries: 1 },
    });
    await importItems(failing.ctx, sample(2));
    expect((await failing.engine.sync()).state).toBe('offline');
    expect(failing.store.pendingCount()).toBe(2);
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', pushedSegments: 1 });
    expect(phone.store.pendingCount()).toBe(0);
    expect(r.server.vault('user').segments.size).toBe(1);
  });

  it('C7: an edit made while a push is in flight stays queued for the next push', async () => {
    const r = await rig();
    let editedDuringPush = 0;
    const phone: ReturnType<Rig['device']> = r.device('phone', {
      transport: (inner) => ({
        ...bind(inner),
        commit: async (request: CommitRequest) => {
          editedDuringPush += 1;
          if (editedDuringPush === 1) await setValue(phone.ctx, 'setting:theme', 'dark');
          return inner.commit(request);
        },
      }),
    });
    await setValue(phone.ctx, 'setting:theme', 'light');
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', pushedSegments: 2 });
    expect(phone.store.pendingCount()).toBe(0);
    const laptop = r.device('laptop');
    await laptop.engine.sync();
    const theme = (await laptop.store.allRecords()).find((x) => recordKey(x) === 'lww:setting:theme');
    expect(theme).toMatchObject({ value: 'dark' });
  });

  it('C13: the server holds ciphertext and keyed tombstones only: no marker text, no plain content id', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    const items = sample(1, 'zebra-marker-7');
    await importItems(laptop.ctx, items);
    await addMemory(laptop.ctx, 'my secret memory marker');
    await laptop.engine.sync();
    await deleteItem(laptop.ctx, `node:${items.nodes[0]!.id}`);
    await laptop.engine.sync();
    const vault = r.server.vault('user');
    const everything = Buffer.concat([...vault.blobs.values()].map((b) => Buffer.from(b))).toString('latin1') + JSON.stringify(vault.commits);
    for (const needle of ['zebra-marker-7', 'secret memory', items.nodes[0]!.id, 'claude:c1']) expect(everything).not.toContain(needle);
    expect(vault.commits[1]!.tombstones).toEqual([await keyedId(crypto.subtle, r.keys, `node:${items.nodes[0]!.id}`)]);
  });
});

function bind(inner: Transport): Transport {
  return {
    missingBlobs: (h) => inner.missingBlobs(h),
    uploadBlob: (h, b) => inner.uploadBlob(h, b),
    downloadBlob: (h) => inner.downloadBlob(h),
    commit: (c) => inner.commit(c),
    manifest: (s) => inner.manifest(s),
  };
}

describe('C7: quiet syncs are cheap and never race', () => {
  it('a sync with nothing new is one manifest request; overlapping triggers share one sync', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    await importItems(laptop.ctx, sample(1));
    await laptop.engine.sync();
    const calls: string[] = [];
    const phone = r.device('phone', {
      transport: (inner) => ({
        missingBlobs: (h) => (calls.push('missing'), inner.missingBlobs(h)),
        uploadBlob: (h, b) => (calls.push('upload'), inner.uploadBlob(h, b)),
        downloadBlob: (h) => (calls.push('download'), inner.downloadBlob(h)),
        commit: (c) => (calls.push('commit'), inner.commit(c)),
        manifest: (since) => (calls.push('manifest'), inner.manifest(since)),
      }),
    });
    await phone.engine.sync();
    calls.length = 0;
    const [a, b] = await Promise.all([phone.engine.sync(), phone.engine.sync()]);
    expect(a).toBe(b);
    expect(a.state).toBe('in-sync');
    expect(calls).toEqual(['manifest']);
  });
});

describe('C8-C12: merge rules', () => {
  it('C8, C9: a union by content id; a deletion stays deleted when the same export is imported again, and the import says so', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    const phone = r.device('phone');
    await importItems(laptop.ctx, sample(1));
    await importItems(phone.ctx, sample(1));
    await importItems(phone.ctx, sample(2));
    await laptop.engine.sync();
    await phone.engine.sync();
    await laptop.engine.sync();
    expect(await vaultDigest(laptop.store)).toBe(await vaultDigest(phone.store));
    expect(await laptop.store.allRecords()).toHaveLength(4);
    await deleteItem(phone.ctx, 'conversation:claude:c1');
    await phone.engine.sync();
    await laptop.engine.sync();
    expect((await laptop.store.allRecords()).map(recordKey).sort()).toEqual(['conversation:claude:c2', `node:${sample(2).nodes[0]!.id}`]);
    expect(await importItems(laptop.ctx, sample(1))).toEqual({ added: 0, skippedDeleted: 2 });
  });

  it('C10: settings, titles and pins are last-writer-wins by hybrid logical clock, whatever the order of syncs', async () => {
    const r = await rig();
    const laptop = r.device('laptop', { offsetMs: 90_000 });
    const phone = r.device('phone');
    await setValue(laptop.ctx, 'title:claude:c1', 'Laptop title');
    r.now.value += 1000;
    await setValue(phone.ctx, 'title:claude:c1', 'Phone title, later but on a slower clock');
    await phone.engine.sync();
    await laptop.engine.sync();
    await phone.engine.sync();
    const title = async (store: MemoryStore) => (await store.allRecords()).find((x) => recordKey(x) === 'lww:title:claude:c1');
    // The laptop's clock is 90 s ahead, so its edit carries the later clock; both devices agree on it.
    expect(await title(laptop.store)).toMatchObject({ value: 'Laptop title' });
    expect(await title(phone.store)).toEqual(await title(laptop.store));
    r.now.value += 1000;
    await setValue(phone.ctx, 'title:claude:c1', 'Phone edits after seeing it');
    await phone.engine.sync();
    await laptop.engine.sync();
    expect(await title(laptop.store)).toMatchObject({ value: 'Phone edits after seeing it' });
  });

  it('C10: a device whose clock is more than 5 minutes behind stops in clock-skew and writes nothing', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    await setValue(laptop.ctx, 'setting:theme', 'dark');
    await laptop.engine.sync();
    const late = r.device('late', { offsetMs: -(MAX_DRIFT_MS + 60_000) });
    await setValue(late.ctx, 'setting:theme', 'light');
    const before = await snapshotOf(late.store);
    expect(await late.engine.sync()).toMatchObject({ state: 'clock-skew', error: { code: 'SYNC_CLOCK_SKEW' } });
    expect(await snapshotOf(late.store)).toEqual(before);
  });

  it('C40: a device whose clock is more than 5 minutes ahead of the server stops in clock-skew before writing or pushing anything', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    await setValue(laptop.ctx, 'setting:theme', 'dark');
    await laptop.engine.sync();
    const early = r.device('early', { offsetMs: MAX_DRIFT_MS + 60_000 });
    // Its own edit, stamped with its clock: pushed, it would win every last-writer-wins register.
    await setValue(early.ctx, 'setting:theme', 'light');
    const before = await snapshotOf(early.store);
    const version = r.server.head('user').version;
    const report = await early.engine.sync();
    expect(report).toMatchObject({ state: 'clock-skew', error: { code: 'SYNC_CLOCK_SKEW' } });
    expect(report.error?.detail).toMatch(/about 6 min ahead of the server/);
    expect(await snapshotOf(early.store)).toEqual(before);
    expect(r.server.head('user').version).toBe(version);
    // Within the tolerance (a clock 4 minutes behind), sync goes on.
    const near = r.device('near', { offsetMs: -4 * 60_000 });
    expect(await near.engine.sync()).toMatchObject({ state: 'in-sync' });
  });

  it('C11: memories are a union; equal texts are one memory', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    const phone = r.device('phone');
    await addMemory(laptop.ctx, 'I live in Lyon');
    await addMemory(phone.ctx, '  i live   in lyon ');
    await addMemory(phone.ctx, 'I prefer short answers');
    await laptop.engine.sync();
    await phone.engine.sync();
    await laptop.engine.sync();
    const memories = (await laptop.store.allRecords()).filter((x) => x.type === 'memory');
    expect(memories).toHaveLength(2);
    expect(await vaultDigest(laptop.store)).toBe(await vaultDigest(phone.store));
  });

  it('C12: notes edited on two devices merge line by line when the edits do not overlap', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    const phone = r.device('phone');
    await editNote(laptop.ctx, 'claude:c1', 'one\ntwo\nthree\nfour\nfive');
    await laptop.engine.sync();
    await phone.engine.sync();
    await editNote(laptop.ctx, 'claude:c1', 'ONE\ntwo\nthree\nfour\nfive');
    await editNote(phone.ctx, 'claude:c1', 'one\ntwo\nthree\nfour\nFIVE');
    await laptop.engine.sync();
    await phone.engine.sync();
    await laptop.engine.sync();
    expect(await readNote(laptop.store, 'claude:c1')).toMatchObject({ text: 'ONE\ntwo\nthree\nfour\nFIVE', conflict: false });
    expect(await readNote(phone.store, 'claude:c1')).toEqual(await readNote(laptop.store, 'claude:c1'));
  });

  it('C12: overlapping edits keep both versions, flag a conflict, and an edit resolves it everywhere', async () => {
    const r = await rig();
    const laptop = r.device('laptop');
    const phone = r.device('phone');
    await editNote(laptop.ctx, 'claude:c1', 'shared line');
    await laptop.engine.sync();
    await phone.engine.sync();
    await editNote(laptop.ctx, 'claude:c1', 'laptop version');
    await editNote(phone.ctx, 'claude:c1', 'phone version');
    await laptop.engine.sync();
    await phone.engine.sync();
    await laptop.engine.sync();
    const note = await readNote(laptop.store, 'claude:c1');
    expect(note?.conflict).toBe(true);
    expect(note?.heads.map((h) => h.text).sort()).toEqual(['laptop version', 'phone version']);
    await editNote(phone.ctx, 'claude:c1', 'laptop version\nphone version');
    await phone.engine.sync();
    await laptop.engine.sync();
    expect(await readNote(laptop.store, 'claude:c1')).toMatchObject({ text: 'laptop version\nphone version', conflict: false });
  });

  it('C12: the line merge itself', () => {
    expect(mergeLines('a\nb\nc\nd', 'A\nb\nc\nd', 'a\nb\nc\nD')).toBe('A\nb\nc\nD');
    expect(mergeLines('a\nb\nc\nd', 'a\nX\nc\nd', 'a\nY\nc\nd')).toBeNull();
    expect(mergeLines('a\nb\nc', 'a\nb\nc\nend', 'start\na\nb\nc')).toBe('start\na\nb\nc\nend');
    const v = (version: string, parents: string[], base: string, text: string): NoteVersionRecord => ({
      type: 'note',
      id: `c|${version}`,
      conversationId: 'c',
      version,
      parents,
      base,
      text,
    });
    expect(resolveNote([v('1', [], '', 'x'), v('2', ['1'], 'x', 'y')])).toMatchObject({ text: 'y', conflict: false });
  });
});

describe('C14-C16: conflicts, backoff, full vault', () => {
  it('C14: a 409 means pull, merge and retry; after 5 it stops in the conflict state instead of looping', async () => {
    const r = await rig();
    const rival = r.device('rival');
    let commits = 0;
    const phone = r.device('phone', {
      transport: (inner) => ({
        ...bind(inner),
        commit: async (request: CommitRequest) => {
          commits += 1;
          // Another device wins the race every time during the first sync.
          if (commits <= 6) {
            await setValue(rival.ctx, 'setting:theme', `rival ${commits}`);
            await rival.engine.sync();
          }
          return inner.commit(request);
        },
      }),
    });
    await setValue(phone.ctx, 'setting:lang', 'fr');
    const report = await phone.engine.sync();
    expect(report).toMatchObject({ state: 'conflict', conflicts: 6, error: { code: 'SYNC_CONFLICT_UNRESOLVED' } });
    expect(commits).toBe(6);
    expect(phone.store.pendingCount()).toBe(1);
    // The rival's edits were merged meanwhile; the next sync gets through.
    expect((await phone.engine.sync()).state).toBe('in-sync');
  });

  it('C15: exponential backoff with full jitter capped at 30 s, and Retry-After honoured', async () => {
    const r = await rig();
    let calls = 0;
    const phone = r.device('phone', {
      transport: (inner) => ({
        ...bind(inner),
        manifest: async (since: number) => {
          calls += 1;
          if (calls === 1) throw new TransportError('rate-limited', 22_000);
          if (calls <= 5) throw new TransportError('server');
          return inner.manifest(since);
        },
      }),
    });
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', retries: 5, retryAt: null });
    expect(r.sleeps[0]).toBeGreaterThanOrEqual(22_000);
    for (const ms of r.sleeps.slice(1)) expect(ms).toBeLessThanOrEqual(30_000);
    const engine = phone.engine;
    for (let attempt = 0; attempt < 20; attempt += 1) expect(engine.backoffMs(attempt, null)).toBeLessThanOrEqual(30_000);
  });

  it('C15: a Retry-After longer than 30 s is not waited out inside the sync: SYNC_RETRY_LATER with the time to try again', async () => {
    const r = await rig();
    let calls = 0;
    const phone = r.device('phone', {
      transport: (inner) => ({
        ...bind(inner),
        manifest: async (since: number) => {
          calls += 1;
          if (calls === 1) throw new TransportError('rate-limited', 600_000);
          return inner.manifest(since);
        },
      }),
    });
    await addMemory(phone.ctx, 'kept while the server asks to wait');
    const startedAt = r.now.value;
    const report = await phone.engine.sync();
    expect(report).toMatchObject({ state: 'error', error: { code: 'SYNC_RETRY_LATER' }, retryAt: startedAt + 600_000 });
    expect(r.sleeps).toEqual([]);
    expect(phone.store.pendingCount()).toBe(1);
    expect(calls).toBe(1);
    // The next sync (the scheduler runs it at retryAt) goes through.
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', retryAt: null });
    expect(phone.store.pendingCount()).toBe(0);
  });

  it('C15: offline is bounded: after the retries the state is offline and the queue is kept', async () => {
    const r = await rig();
    const phone = r.device('phone', { transport: (inner) => ({ ...bind(inner), manifest: () => Promise.reject(new TransportError('network')) }) });
    await addMemory(phone.ctx, 'kept while offline');
    expect(await phone.engine.sync()).toMatchObject({ state: 'offline', error: { code: 'OFFLINE' }, retries: 7 });
    expect(phone.store.pendingCount()).toBe(1);
  });

  it('C15: the retry count starts again after progress: a pull of many segments, each failing once, completes', async () => {
    const r = await rig();
    const laptop = r.device('laptop', { limits: { deltaJsonBytes: 1, snapshotJsonBytes: 1 } });
    for (let i = 1; i <= 5; i += 1) await importItems(laptop.ctx, sample(i));
    expect(await laptop.engine.sync()).toMatchObject({ state: 'in-sync', pushedSegments: 10 });
    const failedOnce = new Set<string>();
    const phone = r.device('phone', {
      transport: (inner) => ({
        ...bind(inner),
        downloadBlob: (hash) => {
          if (failedOnce.has(hash)) return inner.downloadBlob(hash);
          failedOnce.add(hash);
          return Promise.reject(new TransportError('network', null, 'other side closed'));
        },
      }),
    });
    // Ten failures in one sync, more than maxTransientRetries (6), but never two in a row without a segment landing.
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', pulledSegments: 10, retries: 10 });
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));
    // Without progress the bound holds: a download that always fails ends offline after the retries.
    const stuck = r.device('tablet', { transport: (inner) => ({ ...bind(inner), downloadBlob: () => Promise.reject(new TransportError('network')) }) });
    expect(await stuck.engine.sync()).toMatchObject({ state: 'offline', retries: 7 });
  });

  it('C16: VAULT_FULL stops pushing, keeps local data and the queue, and says so', async () => {
    const r = await rig({ quotaBytes: 2000 });
    const phone = r.device('phone');
    const big = sample(1, 'x'.repeat(20_000) + Math.random().toString(36));
    big.conversations[0]!.raw = crypto.getRandomValues(new Uint8Array(3000)).join(',');
    await importItems(phone.ctx, big);
    const before = await snapshotOf(phone.store);
    expect(await phone.engine.sync()).toMatchObject({ state: 'vault-full', error: { code: 'VAULT_FULL' } });
    expect(await snapshotOf(phone.store)).toEqual(before);
  });
});

describe('C17: compaction', () => {
  it('deltas that outweigh the snapshot are packed into a snapshot; a new device bootstraps from it alone', async () => {
    const r = await rig();
    const laptop = r.device('laptop', { limits: { compactAfterDeltas: 4 } });
    // The first push is the snapshot; four deltas later they outweigh it.
    for (let i = 1; i <= 5; i += 1) {
      await importItems(laptop.ctx, sample(i));
      await deleteItem(laptop.ctx, `node:${sample(i).nodes[0]!.id}`);
      const report = await laptop.engine.sync();
      expect(report.compacted).toBe(i === 5);
    }
    expect(r.server.vault('user').segments.size).toBe(1);
    const phone = r.device('phone');
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', pulledSegments: 1 });
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));
    expect(await importItems(phone.ctx, sample(2))).toEqual({ added: 0, skippedDeleted: 1 });
  });

  it('a first push of many segments is a snapshot throughout, so compaction does not rewrite it at once', async () => {
    const r = await rig();
    // One record per segment: a first push of twelve segments, which as deltas would outweigh a one-segment snapshot.
    const laptop = r.device('laptop', { limits: { compactAfterDeltas: 2, deltaJsonBytes: 1, snapshotJsonBytes: 1 } });
    for (let i = 1; i <= 6; i += 1) await importItems(laptop.ctx, sample(i));
    const report = await laptop.engine.sync();
    expect(report).toMatchObject({ state: 'in-sync', pushedSegments: 12, compacted: false });
    expect(r.server.vault('user').segments.size).toBe(12);
    // Later changes are deltas again (two segments: they do not outweigh the snapshot, so no compaction yet).
    await importItems(laptop.ctx, sample(7));
    expect(await laptop.engine.sync()).toMatchObject({ state: 'in-sync', pushedSegments: 2, compacted: false });
    const phone = r.device('phone');
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', pulledSegments: 14 });
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));
  });
});
