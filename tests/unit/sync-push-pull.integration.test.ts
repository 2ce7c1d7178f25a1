// The real sync engine on two devices against the real Worker under `wrangler dev` (local D1, migrations applied)
// and a real local S3-compatible server, over the product's HttpTransport: what a person sees when a second device
// joins their vault. Ends with the no-plaintext scan of every stored object and the D1 database (SPEC C13).
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, MemoryNode } from '../../shared/model';
import { SyncEngine } from '../../shared/sync/engine';
import type { Fetch } from '../../shared/sync/http-transport';
import { createVault, deriveSyncKeys, unlockWithPassphrase, unlockWithRecoveryCode, type SyncKeys } from '../../shared/sync/keys';
import type { Transport } from '../../shared/sync/ports';
import { MemoryStore } from '../../shared/sync/testing/memory-store';
import { addMemory, deleteItem, editNote, importItems, readNote, setValue, vaultDigest } from '../../shared/sync/vault-ops';
import { startLocalS3, type LocalS3 } from '../support/s3-server';
import { openSession, startLocalWorker, transportFor, type LocalWorker } from '../support/sync-client';

const password = 'correct horse battery staple';
const passphrase = 'a long sync passphrase nobody guesses';
const systemRandom = { bytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() };
/** Texts and ids that must never reach the server in the clear. */
const markers: string[] = [];

function conversationWith(marker: string, nodeCount: number): { conversations: Conversation[]; nodes: MemoryNode[] } {
  const id = `chatgpt:${marker}-conv`;
  const nodes: MemoryNode[] = Array.from({ length: nodeCount }, (_, ordinal) => ({
    schemaVersion: 1,
    id: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex'),
    kind: 'exchange',
    provider: 'chatgpt',
    conversationId: id,
    ordinal,
    active: true,
    branchId: null,
    human: { text: `${marker} question ${ordinal}`, messageIds: [`h${ordinal}`], createdAt: 1, model: null },
    assistant: { text: `${marker} answer ${ordinal}`, messageIds: [`a${ordinal}`], createdAt: 2, model: 'gpt' },
    extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
    attachments: [],
    createdAt: 1,
  }));
  markers.push(marker, id, ...nodes.map((n) => n.id));
  return {
    conversations: [
      {
        schemaVersion: 1,
        id,
        provider: 'chatgpt',
        providerConversationId: `${marker}-conv`,
        kind: 'chat',
        title: `${marker} title`,
        createdAt: 1,
        updatedAt: 2,
        model: 'gpt',
        messageCount: nodeCount * 2,
        nodeCount,
        raw: JSON.stringify({ marker }),
      },
    ],
    nodes,
  };
}

function device(name: string, transport: Transport, keys: SyncKeys) {
  const store = new MemoryStore(name);
  const engine = new SyncEngine({
    store,
    transport,
    cipher: crypto.subtle,
    random: systemRandom,
    clock: { now: () => Date.now() },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 2000))),
    keys,
    deviceId: name,
  });
  return { store, engine, ctx: { store, clock: { now: () => Date.now() }, deviceId: name } };
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('sync push and pull through wrangler dev, with the real engine', () => {
  let s3: LocalS3;
  let worker: LocalWorker;

  beforeAll(async () => {
    s3 = await startLocalS3();
    worker = await startLocalWorker(s3.env);
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await s3?.close();
  });

  it('sets up a vault on a laptop; a phone unlocks it, pulls it, deletes, edits; both converge; strangers and wrong passphrases get nothing', async () => {
    const email = `push-pull-${randomUUID()}@example.com`;
    const laptopToken = await openSession(worker.url, 'signup', email, password);
    const laptopHttp = transportFor(worker.url, laptopToken);
    expect(await laptopHttp.getVaultKey()).toBeNull();
    const vault = await createVault(crypto.subtle, systemRandom, passphrase);
    expect(await laptopHttp.putVaultKey(0, vault.wrappedKey)).toMatchObject({ ok: true });
    const laptop = device('laptop', laptopHttp, await deriveSyncKeys(crypto.subtle, vault.vaultKey, vault.wrappedKey));

    const first = conversationWith(`zebra${randomUUID().slice(0, 8)}`, 3);
    const second = conversationWith(`okapi${randomUUID().slice(0, 8)}`, 2);
    await importItems(laptop.ctx, first);
    await importItems(laptop.ctx, second);
    const memory = `memory-${randomUUID()}`;
    markers.push(memory);
    await addMemory(laptop.ctx, memory);
    await setValue(laptop.ctx, `title:${first.conversations[0]!.id}`, 'Renamed on the laptop');
    expect(await laptop.engine.sync()).toMatchObject({ state: 'in-sync', pushedSegments: 1 });

    // The phone: same account, key from the server, unlocked by the passphrase.
    const phoneToken = await openSession(worker.url, 'login', email, password);
    const phoneHttp = transportFor(worker.url, phoneToken);
    const stored = await phoneHttp.getVaultKey();
    await expect(unlockWithPassphrase(crypto.subtle, stored!.wrappedKey, 'not my passphrase')).rejects.toMatchObject({ code: 'CRYPTO_WRONG_PASSPHRASE' });
    const phoneKey = await unlockWithPassphrase(crypto.subtle, stored!.wrappedKey, passphrase);
    expect(await unlockWithRecoveryCode(crypto.subtle, stored!.wrappedKey, vault.recoveryCode)).toEqual(phoneKey);
    const phone = device('phone', phoneHttp, await deriveSyncKeys(crypto.subtle, phoneKey, stored!.wrappedKey));
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', pulledSegments: 1 });
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));

    // Delete on the phone: gone on the laptop.
    await deleteItem(phone.ctx, `conversation:${second.conversations[0]!.id}`);
    await phone.engine.sync();
    await laptop.engine.sync();
    expect((await laptop.store.allRecords()).some((r) => r.type === 'node' && r.value.conversationId === second.conversations[0]!.id)).toBe(false);
    expect(await importItems(laptop.ctx, second)).toEqual({ added: 0, skippedDeleted: 3 });

    // Both edit offline, then sync at once: one conflict at most per round, and they converge.
    const noteMarker = `note-${randomUUID()}`;
    markers.push(noteMarker);
    await editNote(laptop.ctx, first.conversations[0]!.id, `${noteMarker}\nline two`);
    await addMemory(phone.ctx, 'phone memory while offline');
    markers.push('phone memory while offline');
    const [a, b] = await Promise.all([laptop.engine.sync(), phone.engine.sync()]);
    expect([a.state, b.state]).toEqual(['in-sync', 'in-sync']);
    await laptop.engine.sync();
    await phone.engine.sync();
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));
    expect((await readNote(phone.store, first.conversations[0]!.id))?.text).toBe(`${noteMarker}\nline two`);

    // Another account sees none of it.
    const stranger = transportFor(worker.url, await openSession(worker.url, 'signup', `stranger-${randomUUID()}@example.com`, password));
    expect((await stranger.manifest(0)).head.version).toBe(0);
    const laptopSegment = (await laptop.store.transaction((tx) => tx.getCursor())).segments[0]!.sha256;
    await expect(stranger.downloadBlob(laptopSegment)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 180_000);

  it('when the bucket cannot be reached for uploads, segments go through the Worker instead (C7)', async () => {
    const email = `fallback-${randomUUID()}@example.com`;
    const token = await openSession(worker.url, 'signup', email, password);
    const blocked: Fetch = async (input, init) => {
      if (input.startsWith(s3.endpoint) && init?.method === 'PUT') throw new TypeError('Failed to fetch (CORS)');
      return fetch(input, init);
    };
    const keys = await deriveSyncKeys(crypto.subtle, crypto.getRandomValues(new Uint8Array(32)), { vaultId: Buffer.alloc(16, 9).toString('base64') });
    const laptop = device('laptop', transportFor(worker.url, token, blocked), keys);
    await importItems(laptop.ctx, conversationWith(`gnu${randomUUID().slice(0, 8)}`, 2));
    expect(await laptop.engine.sync()).toMatchObject({ state: 'in-sync', pushedSegments: 1 });
    const phone = device('phone', transportFor(worker.url, await openSession(worker.url, 'login', email, password)), keys);
    expect(await phone.engine.sync()).toMatchObject({ state: 'in-sync', pulledSegments: 1 });
    expect(await vaultDigest(phone.store)).toBe(await vaultDigest(laptop.store));
  }, 120_000);

  it('C13: no plaintext on the server: no stored object and no D1 row holds a marker text, an id or a plain content hash', () => {
    expect(markers.length).toBeGreaterThan(10);
    const files = [...filesUnder(s3.directory), ...filesUnder(worker.persistDir)];
    expect(files.some((f) => f.endsWith('.sqlite'))).toBe(true);
    expect(files.length).toBeGreaterThan(3);
    const hits: string[] = [];
    for (const file of files) {
      const text = readFileSync(file).toString('latin1');
      for (const marker of markers) if (text.includes(marker)) hits.push(`${marker} in ${file}`);
    }
    expect(hits).toEqual([]);
  });
});
