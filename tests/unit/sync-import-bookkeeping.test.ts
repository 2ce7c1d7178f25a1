// C20, C21: imports feed sync. An import batch marks what it wrote pending in its own transaction, skips and counts
// what the person deleted before, and the Dexie store's "mark everything pending" reaches data from before sync.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import type { Conversation, MemoryNode } from '../../shared/model';
import { deleteItem } from '../../shared/sync/vault-ops';
import { importRowSchema } from '../../web/src/db/database';
import { commitImportBatch, createImportRow, loadKnownIds } from '../../web/src/db/import-writes';
import { markPendingKeys, readPendingChanges } from '../../web/src/db/sync-bookkeeping';
import { putConversations } from '../../web/src/db/vault-writes';
import { SearchService } from '../../web/src/search/search';
import { DexieStore } from '../../web/src/sync/dexie-store';
import { describeImport } from '../../web/src/vault/imports';
import { useFreshDatabases } from './fresh-db';

const fresh = useFreshDatabases('sync-import');

function batch(conversationIds: string[], nodesPer: number, word: string): ImportBatch {
  const items = conversationIds.map((id, c) => {
    const conversation: Conversation = {
      schemaVersion: 1,
      id,
      provider: 'chatgpt',
      providerConversationId: id.split(':')[1] ?? id,
      kind: 'chat',
      title: `Conversation ${c}`,
      createdAt: 1_700_000_000_000 + c,
      updatedAt: null,
      model: null,
      messageCount: nodesPer * 2,
      nodeCount: nodesPer,
      raw: '{}',
    };
    const nodes: MemoryNode[] = Array.from({ length: nodesPer }, (_, i) => ({
      schemaVersion: 1,
      id: `${id}-${i}`.split('').map((ch) => ch.charCodeAt(0).toString(16)).join('').padStart(64, '0').slice(-64),
      kind: 'exchange',
      provider: 'chatgpt',
      conversationId: id,
      ordinal: i,
      active: true,
      branchId: null,
      human: { text: `question ${i} about ${word}`, messageIds: [], createdAt: null, model: null },
      assistant: { text: `answer ${i}`, messageIds: [], createdAt: null, model: null },
      extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
      attachments: [],
      createdAt: null,
    }));
    return { conversation, nodes, duplicates: 0 };
  });
  return { items, progress: { bytesRead: 100, totalBytes: 1000, records: items.length, conversations: items.length, nodes: 0, duplicates: 0 }, checkpoint: { records: items.length } };
}

describe('C21: imports go through the sync bookkeeping', () => {
  it('C21: every conversation and node an import writes is pending, in the same transaction, with change numbers never reused', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    const first = batch(['chatgpt:a', 'chatgpt:b'], 2, 'tides');
    await commitImportBatch(db, importId, first, { parseMs: 1, now: 2 }, await loadKnownIds(db));
    const pending = await readPendingChanges(db);
    // One row for the whole batch, not one per key (IndexedDB's cost is per request).
    expect(await db.syncPending.count()).toBe(1);
    expect(pending.map((p) => p.key).sort()).toEqual(
      ['conversation:chatgpt:a', 'conversation:chatgpt:b', ...first.items.flatMap((i) => i.nodes.map((n) => `node:${n.id}`))].sort(),
    );
    expect(new Set(pending.map((p) => p.seq)).size).toBe(pending.length);
    // The same file again: nothing new, nothing newly pending.
    const seqBefore = await db.syncState.get('sync.pendingSeq');
    await commitImportBatch(db, importId, first, { parseMs: 1, now: 3 }, await loadKnownIds(db));
    expect(await db.syncState.get('sync.pendingSeq')).toEqual(seqBefore);
  });

  it('a conversation the run believed new but another writer stored meanwhile is kept or updated, never fails the batch', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    // The run's set is read before a pull stores chatgpt:a (newer) and chatgpt:b (older than the import's).
    const known = await loadKnownIds(db);
    expect(known.size).toBe(0);
    const pulled = batch(['chatgpt:a', 'chatgpt:b'], 1, 'pulled');
    const a = pulled.items[0]!.conversation;
    const b = pulled.items[1]!.conversation;
    await putConversations(db, [{ ...a, title: 'Renamed on the phone', updatedAt: 2_000_000_000_000 }, { ...b, title: 'Old title', updatedAt: 1 }]);
    const data = batch(['chatgpt:a', 'chatgpt:b', 'chatgpt:c'], 2, 'tides');
    data.items[0]!.conversation.updatedAt = 1_800_000_000_000;
    data.items[1]!.conversation.updatedAt = 1_800_000_000_000;
    const counts = await commitImportBatch(db, importId, data, { parseMs: 1, now: 2 }, known);
    expect([counts.conversationsCreated, counts.conversationsUpdated, counts.created]).toEqual([1, 1, 6]);
    expect((await db.conversations.get('chatgpt:a'))?.title).toBe('Renamed on the phone');
    expect((await db.conversations.get('chatgpt:b'))?.title).toBe('Conversation 1');
    expect(await db.conversationRaws.count()).toBe(3);
    expect([...known].filter((k) => k.startsWith('conversation:')).sort()).toEqual(['conversation:chatgpt:a', 'conversation:chatgpt:b', 'conversation:chatgpt:c']);
    // The next batch of the run reads what it now knows is stored: the same conversation again adds nothing.
    const again = await commitImportBatch(db, importId, { ...data, items: [data.items[2]!] }, { parseMs: 1, now: 3 }, known);
    expect([again.conversationsCreated, again.conversationsUpdated, again.created]).toEqual([0, 0, 0]);
  });

  it('C7, C21: a batch row\'s keys leave the queue as the Dexie store acknowledges them, unless changed again since', async () => {
    const db = await fresh();
    const store = new DexieStore(db, 'd-test');
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    await commitImportBatch(db, importId, batch(['chatgpt:a', 'chatgpt:b'], 2, 'tides'), { parseMs: 1, now: 2 }, await loadKnownIds(db));
    const queued = await store.transaction((tx) => tx.pending());
    expect(queued).toHaveLength(6);
    expect(queued.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const [a, b, c] = queued as [{ key: string; seq: number }, { key: string; seq: number }, { key: string; seq: number }];
    // `b` changes again after the push read the queue, in its own row: acknowledging its older number keeps it.
    await db.transaction('rw', [db.syncPending, db.syncState], () => markPendingKeys(db, [b.key]));
    await store.transaction((tx) => tx.clearPending([a, b]));
    let left = await store.transaction((tx) => tx.pending());
    expect(left.map((p) => p.key)).toEqual([...queued.slice(2).map((p) => p.key), b.key]);
    expect(left.at(-1)?.seq).toBe(7);
    // Acknowledging b's latest number clears its own row and its older entry in the batch row.
    await store.transaction((tx) => tx.clearPending([c, { key: b.key, seq: 7 }]));
    left = await store.transaction((tx) => tx.pending());
    expect(left.map((p) => p.key)).toEqual(queued.slice(3).map((p) => p.key));
    await store.transaction((tx) => tx.clearPending(left));
    expect(await store.transaction((tx) => tx.pending())).toEqual([]);
    expect(await db.syncPending.count()).toBe(0);
  });

  it('a pending row that does not match its schema is a storage error, not a silently shorter queue', async () => {
    const db = await fresh();
    await db.syncPending.put({ key: '#batch:0000000000000001', seq: 1, keys: [42] } as unknown as { key: string; seq: number });
    await expect(readPendingChanges(db)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });

  it('C21: a deleted conversation or node stays deleted when the export brings it back; the report counts it', async () => {
    const db = await fresh();
    const store = new DexieStore(db, 'd-test');
    const ctx = { store, clock: { now: () => 1_700_000_000_000 }, deviceId: 'd-test' };
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    const data = batch(['chatgpt:gone', 'chatgpt:kept'], 3, 'quokka');
    await commitImportBatch(db, importId, data, { parseMs: 1, now: 2 }, await loadKnownIds(db));
    await deleteItem(ctx, 'conversation:chatgpt:gone');
    const deletedNode = data.items[1]!.nodes[0]!;
    await deleteItem(ctx, `node:${deletedNode.id}`);
    expect(await db.nodes.count()).toBe(2);

    const again = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1000, fileKey: 'k2', now: 3 });
    const counts = await commitImportBatch(db, again, data, { parseMs: 1, now: 4 }, await loadKnownIds(db));
    expect(counts).toMatchObject({ created: 0, skippedDeleted: 4, conversationsCreated: 0 });
    expect(await db.conversations.get('chatgpt:gone')).toBeUndefined();
    expect(await db.nodes.get(deletedNode.id)).toBeUndefined();
    expect((await new SearchService(db).search('quokka', { mode: 'keyword' })).results).toHaveLength(2);
    const row = importRowSchema.parse(await db.imports.get(again));
    expect(row.counts.skippedDeleted).toBe(4);
    expect(describeImport({ ...row, status: 'complete' })).toContain('4 exchanges were skipped because you deleted them.');
  });

  it('C21: import rows written before the count existed read it as 0', () => {
    const row = importRowSchema.parse({
      id: 1, fileName: 'x', provider: null, bytes: 1, fileKey: 'k', status: 'complete', progress: { bytesRead: 1, conversations: 0, nodes: 0 }, checkpoint: null,
      counts: { created: 0, deduplicated: 0, skipped: 0, conversationsCreated: 0, conversationsUpdated: 0 }, skippedByReason: {}, warnings: {}, error: null,
      timings: { createdAt: 1, startedAt: 1, finishedAt: 2, parseMs: 0, writeMs: 0 },
    });
    expect(row.counts.skippedDeleted).toBe(0);
  });
});

describe('C20: data from before sync reaches the vault', () => {
  it('C20: markAllPending marks every conversation, node and synced record once, after what is already queued', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    await commitImportBatch(db, importId, batch(['chatgpt:a'], 2, 'tides'), { parseMs: 1, now: 2 });
    // As if imported before imports marked anything: an empty queue.
    await db.syncPending.clear();
    const store = new DexieStore(db, 'd-test');
    expect(await store.markAllPending()).toBe(3);
    const pending = await store.transaction((tx) => tx.pending());
    expect(pending.map((p) => p.key).sort()).toEqual(['conversation:chatgpt:a', ...(await db.nodes.allIds()).map((id) => `node:${id}`)].sort());
    expect(Math.min(...pending.map((p) => p.seq))).toBeGreaterThan(3);
  });
});
