// Two real engines, one on the app's Dexie store (fake-indexeddb) and one on the in-memory store, converge through the
// in-memory server; what the Dexie device pulls is found by the app's own keyword search, and a pulled deletion
// leaves search, the node table and the stored vectors. Also the node-write path (db/vault-writes.ts) on its own.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYNC_LIMITS, SyncEngine } from '../../shared/sync/engine';
import { deriveSyncKeys } from '../../shared/sync/keys';
import type { LocalStore } from '../../shared/sync/ports';
import { MemoryServer, MemoryTransport } from '../../shared/sync/testing/memory-server';
import { MemoryStore } from '../../shared/sync/testing/memory-store';
import { seededRandom } from '../../shared/sync/testing/seeded';
import { deleteItem, importItems, setValue, vaultDigest } from '../../shared/sync/vault-ops';
import { putVectorBlock, vectorBlocks, type VaultDatabase } from '../../web/src/db/database';
import { deleteConversations, deleteNodes, putConversations, putNodes } from '../../web/src/db/vault-writes';
import { NODES_PER_CHUNK } from '../../web/src/db/node-store';
import { commitImportBatch, createImportRow, loadKnownIds } from '../../web/src/db/import-writes';
import { readIndexStats } from '../../web/src/search/keyword-index';
import { SearchService } from '../../web/src/search/search';
import { DexieStore } from '../../web/src/sync/dexie-store';
import { contractConversation, contractNode } from './sync-local-store.contract';
import { useFreshDatabases } from './fresh-db';

const freshDb = useFreshDatabases('sync-dexie');

function item(index: number, marker: string) {
  const conversation = contractConversation(index, marker);
  return { conversations: [conversation], nodes: [contractNode(index, conversation.id, marker)] };
}

async function hits(db: VaultDatabase, query: string): Promise<string[]> {
  return (await new SearchService(db).search(query, { mode: 'keyword' })).results.map((r) => r.nodeId);
}

describe('db/vault-writes: the one node-write path', () => {
  it('a put node is searchable; a replaced node is found once; a deleted node leaves search, the index stats and its vectors', async () => {
    const db = await freshDb();
    const one = item(1, 'quokka');
    const two = item(2, 'narwhal');
    await putConversations(db, [...one.conversations, ...two.conversations]);
    expect(await putNodes(db, [...one.nodes, ...two.nodes])).toBe(2);
    expect(await putNodes(db, one.nodes)).toBe(0);
    const node = one.nodes[0]!;
    const other = two.nodes[0]!;
    expect(await hits(db, 'quokka')).toEqual([node.id]);

    // Same id, changed row (it became a branch): indexed again, never twice.
    expect(await putNodes(db, [{ ...node, active: false }])).toBe(1);
    expect(await hits(db, 'quokka')).toEqual([]);
    expect((await new SearchService(db).search('quokka', { mode: 'keyword', filters: { includeBranches: true } })).results.map((r) => r.nodeId)).toEqual([node.id]);
    expect((await readIndexStats(db.searchIndex)).docCount).toBe(2);

    const dim = 2;
    await putVectorBlock(db, { modelId: 'm', dim, dtype: 'float32', nodeIds: [node.id, other.id], data: new Float32Array([1, 2, 3, 4]).buffer, scales: null, createdAt: 1 });
    await putVectorBlock(db, { modelId: 'm', dim, dtype: 'int8', nodeIds: [node.id], data: new Int8Array([5, 6]).buffer, scales: new Float32Array([0.5]), createdAt: 1 });

    expect(await deleteNodes(db, [node.id, 'not-stored'])).toBe(1);
    expect(await db.nodes.get(node.id)).toBeUndefined();
    expect(await new SearchService(db).search('quokka', { mode: 'keyword', filters: { includeBranches: true } })).toMatchObject({ results: [], keywordTotal: 0 });
    expect(await hits(db, 'narwhal')).toEqual([other.id]);
    expect((await readIndexStats(db.searchIndex)).docCount).toBe(1);
    const blocks = await vectorBlocks(db, 'm', dim);
    // The float block keeps the other node's row, bytes and all; the int8 block held only the deleted node.
    expect(blocks.map((b) => [b.dtype, b.nodeIds])).toEqual([['float32', [other.id]]]);
    expect([...new Float32Array(blocks[0]!.data)]).toEqual([3, 4]);

    await deleteConversations(db, [two.conversations[0]!.id]);
    expect(await db.nodes.count()).toBe(0);
    expect(await db.conversations.get(two.conversations[0]!.id)).toBeUndefined();
    expect(await hits(db, 'narwhal')).toEqual([]);
    expect((await readIndexStats(db.searchIndex)).docCount).toBe(0);
  });
});

describe('C19: DexieStore with the real engine', () => {
  async function rig(limits: { deltaJsonBytes?: number } = {}) {
    const now = { value: 1_780_000_000_000 };
    const server = new MemoryServer({ clock: { now: () => now.value } });
    const keys = await deriveSyncKeys(crypto.subtle, new Uint8Array(32).fill(7), { vaultId: Buffer.alloc(16, 1).toString('base64') });
    const random = seededRandom(10);
    const clock = { now: () => now.value };
    const device = (store: LocalStore, deviceId: string) => ({
      ctx: { store, clock, deviceId },
      engine: new SyncEngine({
        store,
        transport: new MemoryTransport(server, 'user'),
        cipher: crypto.subtle,
        random,
        clock,
        sleep: (ms) => {
          now.value += ms;
          return Promise.resolve();
        },
        keys,
        deviceId,
        limits,
      }),
    });
    const db = await freshDb();
    const laptop = device(new DexieStore(db, 'laptop'), 'laptop');
    const phoneStore = new MemoryStore('phone');
    const phone = device(phoneStore, 'phone');
    const syncBoth = async () => {
      for (const d of [laptop, phone, laptop]) expect((await d.engine.sync()).state).toBe('in-sync');
    };
    return { db, laptop, phone, phoneStore, syncBoth };
  }

  it('C7, C21: an import\'s keys, queued as one row per batch, reach the other device over several commits and leave the queue empty', async () => {
    // Commits of about 2 kB: the batch row is acknowledged a few keys at a time.
    const { db, laptop, phoneStore, syncBoth } = await rig({ deltaJsonBytes: 2000 });
    const items = Array.from({ length: 30 }, (_, i) => {
      const conversation = contractConversation(i + 1, `ibis${i + 1}`);
      return { conversation, nodes: [contractNode(i + 1, conversation.id, `ibis${i + 1}`)], duplicates: 0 };
    });
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
    const progress = { bytesRead: 1, totalBytes: 1, records: 30, conversations: 30, nodes: 30, duplicates: 0 };
    await commitImportBatch(db, importId, { items, progress, checkpoint: { records: 30 } }, { parseMs: 0, now: 2 }, await loadKnownIds(db));
    expect(await db.syncPending.count()).toBe(1);
    expect(await laptop.ctx.store.transaction((tx) => tx.pending())).toHaveLength(60);
    await syncBoth();
    expect(await vaultDigest(laptop.ctx.store)).toBe(await vaultDigest(phoneStore));
    expect(await phoneStore.transaction((tx) => tx.getRecord(`node:${items[29]!.nodes[0]!.id}`))).toMatchObject({ type: 'node' });
    expect(await laptop.ctx.store.transaction((tx) => tx.pending())).toEqual([]);
    expect(await db.syncPending.count()).toBe(0);
  });

  it('converges with an in-memory device through the in-memory server; pulled nodes are searchable and pulled deletions are not', async () => {
    const { db, laptop, phone, phoneStore, syncBoth } = await rig();

    // Each side imports its own conversation and settings; both end with the union.
    await importItems(laptop.ctx, item(1, 'quokka'));
    await importItems(phone.ctx, item(2, 'narwhal'));
    await importItems(phone.ctx, item(3, 'axolotl'));
    await setValue(phone.ctx, 'title:claude:c2', 'Renamed on the phone');
    await syncBoth();
    expect(await vaultDigest(laptop.ctx.store)).toBe(await vaultDigest(phoneStore));
    expect(phoneStore.pendingCount()).toBe(0);
    expect(await laptop.ctx.store.transaction((tx) => tx.pending())).toEqual([]);
    const narwhal = contractNode(2, 'claude:c2', 'narwhal').id;
    const axolotl = contractNode(3, 'claude:c3', 'axolotl').id;
    expect(await hits(db, 'narwhal')).toEqual([narwhal]);
    expect(await hits(db, 'axolotl')).toEqual([axolotl]);
    expect(await hits(db, 'quokka')).toEqual([contractNode(1, 'claude:c1', 'quokka').id]);
    expect((await db.syncRecords.get('lww:title:claude:c2'))?.record).toMatchObject({ value: 'Renamed on the phone' });

    // The phone deletes a node and a whole conversation; the laptop's search no longer finds either.
    await deleteItem(phone.ctx, `node:${narwhal}`);
    await deleteItem(phone.ctx, 'conversation:claude:c3');
    await syncBoth();
    expect(await vaultDigest(laptop.ctx.store)).toBe(await vaultDigest(phoneStore));
    expect(await hits(db, 'narwhal')).toEqual([]);
    expect(await hits(db, 'axolotl')).toEqual([]);
    expect(await db.nodes.get(narwhal)).toBeUndefined();
    expect(await db.conversations.get('claude:c3')).toBeUndefined();
    expect(await hits(db, 'quokka')).toHaveLength(1);
    // Gone from the index itself, not only filtered out because the node row is missing.
    expect((await readIndexStats(db.searchIndex)).docCount).toBe(await db.nodes.count());
    expect((await new SearchService(db).search('narwhal axolotl', { mode: 'keyword' })).keywordTotal).toBe(0);

    // A deletion made on the Dexie device travels the other way, and a tombstone keeps it deleted on re-import (C9).
    await deleteItem(laptop.ctx, 'conversation:claude:c1');
    expect(await hits(db, 'quokka')).toEqual([]);
    await syncBoth();
    expect(await vaultDigest(laptop.ctx.store)).toBe(await vaultDigest(phoneStore));
    expect((await phoneStore.allRecords()).some((r) => r.type === 'node' && r.value.conversationId === 'claude:c1')).toBe(false);
    expect(await importItems(laptop.ctx, item(1, 'quokka'))).toEqual({ added: 0, skippedDeleted: 2 });
    expect(await hits(db, 'quokka')).toEqual([]);
  });

  it('pulls hundreds of nodes in one transaction per chunk of a segment, each chunk indexed as one keyword-index segment', async () => {
    const { db, laptop, phone, phoneStore, syncBoth } = await rig();
    const conversations = [];
    const nodes = [];
    for (let i = 0; i < 300; i++) {
      const conversation = contractConversation(1000 + i, `bulk${i}`);
      const node = contractNode(0, conversation.id, `bulk${i}`);
      conversations.push(conversation);
      nodes.push({ ...node, id: `${i.toString(16).padStart(4, '0')}${node.id.slice(4)}`, human: { ...node.human, text: `pelican question ${i}` } });
    }
    await importItems(phone.ctx, { conversations, nodes });
    const segmentsBefore = await db.searchIndex.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]).count();
    await syncBoth();
    expect(await vaultDigest(laptop.ctx.store)).toBe(await vaultDigest(phoneStore));
    expect(await db.nodes.count()).toBe(300);
    expect((await readIndexStats(db.searchIndex)).docCount).toBe(300);
    const pulledSegments = (await phoneStore.transaction((tx) => tx.getCursor())).segments.length;
    const docsSegments = await db.searchIndex.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]).count();
    // One index segment per chunk of a pulled sync segment (C5: 250 records), never one per node.
    expect(docsSegments - segmentsBefore).toBeLessThanOrEqual(pulledSegments * Math.ceil(600 / DEFAULT_SYNC_LIMITS.applyChunkRecords));
    expect(docsSegments - segmentsBefore).toBeGreaterThan(1);
    // The pulled nodes are written together, as chunks of up to NODES_PER_CHUNK (v7), never one chunk per node.
    expect(await db.nodeData.count()).toBeLessThanOrEqual(Math.ceil(300 / NODES_PER_CHUNK) + pulledSegments * Math.ceil(600 / DEFAULT_SYNC_LIMITS.applyChunkRecords));
    expect((await new SearchService(db).search('pelican', { mode: 'keyword', limit: 500 })).keywordTotal).toBe(300);
  });
});
