// The Dexie database module on fake-indexeddb: upgrade from a frozen v1 database, failures translated to the
// shared vocabulary with nothing half-written, packed vector blocks, deleting the vault.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import type { ImportBatch } from '../../shared/import';
import type { Conversation, MemoryNode } from '../../shared/model';
import { importRowSchema, openVaultDatabase, putVectorBlock, translateStorageError, vectorBlocks, type NodeRow, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow, loadKnownIds } from '../../web/src/db/import-writes';
import { NODE_TABLES, NODES_PER_CHUNK } from '../../web/src/db/node-store';
import { fromNodeRow } from '../../web/src/db/vault-writes';
import { appendToSearchIndex, compactSearchIndex, groupPart, KeywordIndexReader, nodeToIndexDoc, postingsFor, postingsPart, readIndexStats, type IndexDoc, type PostingsRow, type SearchIndexRow, type SearchIndexTable } from '../../web/src/search/keyword-index';
import { SearchService } from '../../web/src/search/search';
import { deleteVault } from '../../web/src/vault/storage';
import { expectChunksRecorded } from './chunk-places';

interface V1Fixture {
  version: number;
  stores: Record<string, string>;
  tables: Record<string, unknown[]>;
}

const fixture = JSON.parse(readFileSync(resolve(import.meta.dirname, '../support/db-fixtures/vault-v1.json'), 'utf8')) as V1Fixture;
const names: string[] = [];
const opened: VaultDatabase[] = [];
let counter = 0;

function dbName(): string {
  const name = `db-test-${process.pid}-${counter++}`;
  names.push(name);
  return name;
}

async function fresh(): Promise<VaultDatabase> {
  const db = await openVaultDatabase({ name: dbName() });
  opened.push(db);
  return db;
}

afterEach(async () => {
  for (const db of opened.splice(0)) db.close();
  for (const name of names.splice(0)) await Dexie.delete(name);
});

/** Writes the frozen rows through a raw v1 schema, exactly as the first released app would have stored them. */
async function loadV1(name: string): Promise<void> {
  const v1 = new Dexie(name);
  v1.version(fixture.version).stores(fixture.stores);
  await v1.open();
  await v1.transaction('rw', v1.tables, async () => {
    for (const [table, rows] of Object.entries(fixture.tables)) await v1.table(table).bulkAdd(rows);
  });
  v1.close();
}

describe('schema upgrade from the frozen v1 database', () => {
  it('keeps every row, moves raw records aside, numbers nodes and makes them searchable', async () => {
    const name = dbName();
    await loadV1(name);
    const db = await openVaultDatabase({ name });
    opened.push(db);
    expect(db.verno).toBe(8);
    expect(await db.memories.count()).toBe(0);

    const conversations = await db.conversations.orderBy('sortAt').toArray();
    expect(conversations.map((c) => c.id)).toEqual(['gemini:synth-0001', 'chatgpt:conv-sourdough', 'claude:7f1c2d']);
    for (const c of conversations) expect('raw' in c).toBe(false);
    expect(conversations[0]?.sortAt).toBe(0);
    expect(conversations[1]?.titleKey).toBe('sourdough starter troubleshooting');
    expect((await db.conversationRaws.get('claude:7f1c2d'))?.raw).toContain('"uuid":"7f1c2d"');

    const nodes = await db.nodes.all();
    expect(nodes).toHaveLength(5);
    expect(await db.nodes.count()).toBe(5);
    expect(new Set(nodes.map((n) => n.docId)).size).toBe(5);
    expect(nodes.filter((n) => n.isActive === 0)).toHaveLength(1);
    // v7: the nodes live in chunk rows; the `nodes` table is gone.
    expect(db.tables.map((t) => t.name)).not.toContain('nodes');
    expect((await db.nodes.ofConversation('chatgpt:conv-sourdough')).length).toBeGreaterThan(0);
    expect((await db.settings.get('theme'))?.value).toBe('dark');
    expect(importRowSchema.safeParse(await db.imports.get(1)).success).toBe(true);

    const search = new SearchService(db);
    const acetone = await search.search('acetone smell');
    expect(acetone.results.map((r) => r.conversationTitle)).toEqual(['Sourdough starter troubleshooting']);
    // Accents fold both ways: "resume" finds "résumé".
    const resume = await search.search('resume bullet');
    expect(resume.results.map((r) => r.conversationId)).toEqual(['claude:7f1c2d']);
    // Titles too (v5): a word of the title alone finds its conversation.
    expect((await search.search('troubleshooting ')).results.map((r) => r.conversationId)).toContain('chatgpt:conv-sourdough');
    // Hidden parts (custom instructions) are indexed but only searched when asked.
    expect((await search.search('altitude')).results).toHaveLength(0);
    expect((await search.search('altitude', { filters: { includeHidden: true } })).results).toHaveLength(1);
  });

  it('opening an upgraded database again changes nothing', async () => {
    const name = dbName();
    await loadV1(name);
    const first = await openVaultDatabase({ name });
    const before = await first.searchIndex.toArray();
    first.close();
    const second = await openVaultDatabase({ name });
    opened.push(second);
    expect(await second.searchIndex.toArray()).toEqual(before);
  });
});

/** The v6 schema as released (every table, cumulative), to write a vault exactly as v6 stored it. */
const V6_STORES: Record<string, string> = {
  conversations: 'id, provider, sortAt, titleKey, [provider+sortAt]',
  conversationRaws: 'id',
  nodes: 'id, [conversationId+ordinal]',
  vectors: '++id, [modelId+dim], modelId, *nodeIds',
  searchIndex: '[part+seg]',
  imports: '++id, status, fileKey',
  settings: 'key',
  syncState: 'key',
  memories: 'id, updatedAt',
  syncRecords: 'key, *owners',
  syncTombstones: 'key',
  syncPending: 'key, seq',
};

describe('schema upgrade v6 -> v7 (nodes into chunk rows)', () => {
  it('moves every node row unchanged, keeps search, sync bookkeeping and dedupe, and numbers new chunks apart', async () => {
    const name = dbName();
    // More nodes than one upgrade page (2,000), over conversations of 10 with one inactive branch node each, and one
    // conversation whose 2,100 nodes share one position (regenerations): a page is then all of one key.
    const rows: NodeRow[] = Array.from({ length: 4_603 }, (_, i) => {
      const conversation = i < 2_503 ? Math.floor(i / 10) : 'regen';
      return {
        schemaVersion: 1,
        id: (0x10000 + i).toString(16).padStart(64, '0'),
        kind: 'exchange',
        provider: 'claude',
        conversationId: `claude:c${conversation}`,
        ordinal: i >= 2_503 ? 1 : i % 10 === 9 ? 3 : i % 10,
        active: i % 10 !== 9,
        branchId: i % 10 === 9 ? 'edit' : null,
        human: { text: `question ${i} about ${i === 1234 ? 'marmalade' : 'tides'}`, messageIds: [`m${i}`], createdAt: 1_700_000_000_000 + i, model: null },
        assistant: i % 7 === 0 ? null : { text: `answer ${i} with ünïcödé`, messageIds: [], createdAt: null, model: 'x' },
        extras: { thinking: [], toolCalls: [{ name: 't', input: '{}', output: null }], system: [], customInstructions: [], citations: [] },
        attachments: [],
        createdAt: 1_700_000_000_000 + i,
        docId: i + 1,
        isActive: i % 10 !== 9 ? 1 : 0,
      };
    });
    const unkeyed = { ...rows[0]!, id: 'e'.repeat(64), ordinal: undefined, docId: 99_999 } as unknown as NodeRow;
    const v6 = new Dexie(name);
    v6.version(6).stores(V6_STORES);
    await v6.open();
    await v6.transaction('rw', v6.tables, async () => {
      // Stored in an order unlike any chunk's, to check that nothing depends on it.
      await v6.table('nodes').bulkAdd([...rows].reverse());
      // A row the [conversationId+ordinal] index cannot hold (no ordinal): none should exist, none may be lost.
      await v6.table('nodes').add(unkeyed);
      const index = v6.table('searchIndex') as unknown as SearchIndexTable;
      await appendToSearchIndex(index, await readIndexStats(index), rows.map((row) => nodeToIndexDoc(row)));
      await v6.table('syncPending').bulkPut([{ key: 'node:abc', seq: 4 }, { key: '#batch:0000000000000005', seq: 5, keys: ['node:x', ''] }]);
    });
    v6.close();

    const progress: { done: number; total: number }[] = [];
    const db = await openVaultDatabase({ name, onUpgradeProgress: (p) => progress.push(p) });
    expect(await db.nodes.get(unkeyed.id)).toEqual(unkeyed);
    await db.transaction('rw', [...NODE_TABLES], () => db.nodes.delete([unkeyed.id]));
    opened.push(db);
    expect(db.verno).toBe(8);
    // Told after each page, up to every node.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.every((p, i) => p.total === rows.length + 1 && p.done > (progress[i - 1]?.done ?? 0))).toBe(true);
    expect(progress.at(-1)?.done).toBe(rows.length + 1);
    expect(db.tables.map((t) => t.name)).not.toContain('nodes');
    expect(await db.nodes.count()).toBe(rows.length);
    const byId = (x: NodeRow, y: NodeRow): number => (x.id < y.id ? -1 : 1);
    expect((await db.nodes.all()).sort(byId)).toEqual([...rows].sort(byId));
    expect(new Set(await db.nodes.allIds())).toEqual(new Set(rows.map((r) => r.id)));
    const chunkIds = await db.nodeData.toCollection().primaryKeys();
    expect(chunkIds.every((id) => id < 0)).toBe(true);
    // The index's docs rows record each node's chunk, as a write since v7 does: a page of hits reads them by number.
    expect(await expectChunksRecorded(db)).toBe(rows.length);
    expect(chunkIds.length).toBeLessThan(rows.length / 2);
    // Chunks follow conversations: a conversation of 10 nodes spans at most three chunks of 8.
    const chunksOf = async (conversationId: string): Promise<number> => db.nodeData.where('conversationIds').equals(conversationId).count();
    for (const c of [0, 7, 123, 249]) expect(await chunksOf(`claude:c${c}`)).toBeLessThanOrEqual(Math.ceil(10 / NODES_PER_CHUNK) + 1);
    expect((await db.nodes.ofConversation('claude:cregen')).length).toBe(2_100);
    // By id, by conversation (reading order: ordinal, then id), one look-up of an absent id.
    const some = [rows[2_502], rows[0], undefined, rows[1_234]].map((r) => r?.id ?? 'f'.repeat(64));
    expect(await db.nodes.bulkGet(some)).toEqual([rows[2_502], rows[0], undefined, rows[1_234]]);
    const c7 = rows.filter((r) => r.conversationId === 'claude:c7').sort((x, y) => x.ordinal - y.ordinal || byId(x, y));
    expect(await db.nodes.ofConversation('claude:c7')).toEqual(c7);
    expect(new Set(await db.nodes.idsOfConversation('claude:c7'))).toEqual(new Set(c7.map((r) => r.id)));
    expect((await db.nodes.ofConversation('claude:c250')).map((r) => r.id)).toEqual(rows.slice(2_500, 2_503).map((r) => r.id));
    // The index came along untouched and still answers.
    expect((await new SearchService(db).search('marmalade')).results.map((r) => r.nodeId)).toEqual([rows[1_234]?.id]);
    // Sync bookkeeping rows are not touched.
    expect(await db.syncPending.toArray()).toEqual([{ key: '#batch:0000000000000005', seq: 5, keys: ['node:x', ''] }, { key: 'node:abc', seq: 4 }]);

    // An import of a stored node and a new one: the stored one is deduplicated, the new one gets a chunk of its own.
    const importId = await createImportRow(db, { fileName: 'x.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    const batch = sampleBatch(['claude:c1'], 2);
    const [first, second] = batch.items[0]?.nodes ?? [];
    if (!first || !second || !rows[10]) throw new Error('sample');
    batch.items[0] = { conversation: { ...(batch.items[0]?.conversation as Conversation), provider: 'claude' }, nodes: [fromNodeRow(rows[10]), second], duplicates: 0 };
    const counts = await commitImportBatch(db, importId, batch, { parseMs: 1, now: 2 }, await loadKnownIds(db));
    expect([counts.created, counts.deduplicated]).toEqual([1, 1]);
    expect(await db.nodes.count()).toBe(rows.length + 1);
    expect((await db.nodes.get(second.id))?.docId).toBe(rows.length + 1);
    expect(await db.nodeData.get(rows.length + 1)).toMatchObject({ ids: [second.id] });
    expect(await expectChunksRecorded(db)).toBe(rows.length + 1);
    // The unique id index refuses the same node stored twice, even past the import's own dedupe.
    await expect(db.transaction('rw', [...NODE_TABLES], () => db.nodes.add([{ ...rows[5], docId: 9_999 } as NodeRow]))).rejects.toThrow();
  });
});

function sampleBatch(conversationIds: string[], nodesPer: number): ImportBatch {
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
      id: (c * 1000 + i).toString(16).padStart(64, '0'),
      kind: 'exchange',
      provider: 'chatgpt',
      conversationId: id,
      ordinal: i,
      active: true,
      branchId: null,
      human: { text: `question ${i} about tides`, messageIds: [], createdAt: null, model: null },
      assistant: { text: `answer ${i} about the moon`, messageIds: [], createdAt: null, model: null },
      extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
      attachments: [],
      createdAt: null,
    }));
    return { conversation, nodes, duplicates: 0 };
  });
  return { items, progress: { bytesRead: 100, totalBytes: 1000, records: items.length, conversations: items.length, nodes: 0, duplicates: 0 }, checkpoint: { records: items.length } };
}

describe('failed writes', () => {
  it('a full disk becomes STORAGE_QUOTA_EXCEEDED and the whole batch is rolled back', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'x.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    await commitImportBatch(db, importId, sampleBatch(['chatgpt:a'], 3), { parseMs: 1, now: 2 });
    const before = { nodes: await db.nodes.count(), index: await db.searchIndex.toArray(), row: await db.imports.get(importId) };

    // The platform failing mid-transaction, after the conversations were written: what a full disk does.
    let writes = 0;
    db.nodeData.hook('creating', () => {
      if (++writes === 1) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    });
    const failure = await commitImportBatch(db, importId, sampleBatch(['chatgpt:b', 'chatgpt:c'], 3), { parseMs: 1, now: 3 }).catch((e: unknown) => e);
    expect(isAppError(failure) && failure.code).toBe('STORAGE_QUOTA_EXCEEDED');
    expect(isAppError(failure) && failure.message).toContain('nothing was half-written');

    expect(await db.conversations.toCollection().primaryKeys()).toEqual(['chatgpt:a']);
    expect(await db.nodes.count()).toBe(before.nodes);
    expect(await db.searchIndex.toArray()).toEqual(before.index);
    expect(await db.imports.get(importId)).toEqual(before.row);
  });

  it('translates Dexie-wrapped and bare platform errors', () => {
    const wrapped = new Dexie.AbortError('Transaction aborted', new DOMException('quota', 'QuotaExceededError'));
    expect(translateStorageError(wrapped).code).toBe('STORAGE_QUOTA_EXCEEDED');
    expect(translateStorageError(new Dexie.MissingAPIError('IndexedDB API missing')).code).toBe('STORAGE_UNAVAILABLE');
    expect(translateStorageError(new DOMException('x', 'VersionError')).code).toBe('STORAGE_UPGRADE_BLOCKED');
    expect(translateStorageError(new Error('disk on fire')).code).toBe('STORAGE_FAILED');
  });

  it('a write for an import that was cancelled elsewhere is refused, not half-applied', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'x.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    await db.imports.update(importId, { status: 'cancelled' });
    const failure = await commitImportBatch(db, importId, sampleBatch(['chatgpt:a'], 2), { parseMs: 1, now: 2 }).catch((e: unknown) => e);
    expect(isAppError(failure) && failure.code).toBe('IMPORT_CANCELLED');
    expect(await db.nodes.count()).toBe(0);
  });
});

describe('keyword index compaction', () => {
  const doc = (docId: number, human: string): IndexDoc => ({ docId, nodeId: `n${docId}`, conversationId: 'c', provider: 'chatgpt', createdAt: null, active: true, human, assistant: '', hidden: '' });

  /** Documents listed for "tide" (human field) once every segment is merged. */
  async function postingsAfterCompaction(segments: IndexDoc[][]): Promise<number[]> {
    const db = await fresh();
    await db.transaction('rw', db.searchIndex, async () => {
      let stats = await readIndexStats(db.searchIndex);
      for (const docs of segments) stats = await appendToSearchIndex(db.searchIndex, stats, docs);
    });
    await compactSearchIndex(db);
    const part = postingsPart('tide');
    const rows = await db.searchIndex.where('[part+seg]').between([part, Dexie.minKey], [part, Dexie.maxKey]).toArray();
    expect(rows).toHaveLength(1);
    return [...(postingsFor(rows[0] as PostingsRow, 'htide')?.docIds ?? [])];
  }

  it('merges segments into one list per word, in document order', async () => {
    expect(await postingsAfterCompaction([[doc(1, 'tide'), doc(2, 'moon tide')], [doc(3, 'tide tide')], [doc(4, 'moon')], [doc(5, 'tide')]])).toEqual([1, 2, 3, 5]);
  });

  it('reads and merges a vault that mixes compacted bucket rows with newer pending group rows', async () => {
    const db = await fresh();
    const append = (docs: IndexDoc[]): Promise<unknown> => db.transaction('rw', db.searchIndex, async () => appendToSearchIndex(db.searchIndex, await readIndexStats(db.searchIndex), docs));
    await append([doc(1, 'tide')]);
    // One segment split into bucket rows: what every vault compacted before group rows existed looks like.
    await compactSearchIndex(db, { minSegments: 1 });
    const rowsOf = (part: string): Promise<SearchIndexRow[]> => db.searchIndex.where('[part+seg]').between([part, Dexie.minKey], [part, Dexie.maxKey]).toArray();
    expect(await rowsOf(groupPart('tide'))).toHaveLength(0);
    await append([doc(2, 'tide')]);
    await append([doc(3, 'moon tide')]);
    expect(await rowsOf(groupPart('tide'))).toHaveLength(2);
    const docsOf = (lists: Map<string, { docIds: Uint32Array }[]>): number[] => [...lists.values()].flat().flatMap((list) => [...list.docIds]).sort((a, b) => a - b);
    const reader = new KeywordIndexReader(() => db.searchIndex);
    expect(docsOf(await reader.postings('tide', ['h']))).toEqual([1, 2, 3]);
    expect(docsOf(await reader.postings('tide', ['h'], reader.pendingSegments()))).toEqual([1, 2, 3]);
    await compactSearchIndex(db);
    const rows = await rowsOf(postingsPart('tide'));
    expect(rows).toHaveLength(1);
    expect(await rowsOf(groupPart('tide'))).toHaveLength(0);
    expect([...(postingsFor(rows[0] as PostingsRow, 'htide')?.docIds ?? [])]).toEqual([1, 2, 3]);
    expect(docsOf(await reader.postings('tide', ['h'], reader.pendingSegments()))).toEqual([1, 2, 3]);
  });

  it('keeps lists sorted even when a later segment holds lower document numbers', async () => {
    expect(await postingsAfterCompaction([[doc(10, 'tide'), doc(11, 'tide')], [doc(2, 'tide')]])).toEqual([2, 10, 11]);
  });
});

describe('packed vector blocks', () => {
  it('stores one block per batch tagged by model and dimension', async () => {
    const db = await fresh();
    const data = new Float32Array([1, 0, 0, 0, 1, 0]);
    await putVectorBlock(db, { modelId: 'tiny', dim: 3, dtype: 'float32', nodeIds: ['a', 'b'], data: data.buffer, scales: null, createdAt: 1 });
    await putVectorBlock(db, { modelId: 'other', dim: 3, dtype: 'float32', nodeIds: ['a'], data: new Float32Array(3).buffer, scales: null, createdAt: 1 });
    const blocks = await vectorBlocks(db, 'tiny', 3);
    expect(blocks.map((b) => b.nodeIds)).toEqual([['a', 'b']]);
    expect([...new Float32Array(blocks[0]!.data)]).toEqual([...data]);
    await expect(putVectorBlock(db, { modelId: 'tiny', dim: 3, dtype: 'float32', nodeIds: ['a'], data: data.buffer, scales: null, createdAt: 1 })).rejects.toThrow();
  });
});

describe('deleting the vault', () => {
  it('removes everything, search index included, and a new import starts clean', async () => {
    const db = await fresh();
    const search = new SearchService(db);
    const first = await createImportRow(db, { fileName: 'x.json', status: 'processing', bytes: 1000, fileKey: 'k', now: 1 });
    await commitImportBatch(db, first, sampleBatch(['chatgpt:a', 'chatgpt:b'], 4), { parseMs: 1, now: 2 });
    expect((await search.search('tides')).results).toHaveLength(8);

    await deleteVault(db);
    for (const table of db.tables) expect(await table.count(), table.name).toBe(0);
    expect((await search.search('tides')).results).toHaveLength(0);

    const second = await createImportRow(db, { fileName: 'y.json', status: 'processing', bytes: 1000, fileKey: 'k2', now: 3 });
    await commitImportBatch(db, second, sampleBatch(['chatgpt:z'], 2), { parseMs: 1, now: 4 });
    const again = await search.search('tides');
    expect(again.results.map((r) => r.conversationId)).toEqual(['chatgpt:z', 'chatgpt:z']);
  });
});
