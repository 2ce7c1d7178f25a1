/**
 * The keyword index's storage port (web/src/search/index-table.ts): every adapter (the app's Dexie table, the
 * command-line device's SQLite table) passes the same suite, from raw row operations up to BM25 answers of the
 * app's own KeywordSearch over a vault written through the sync LocalStore.
 */
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import type { Conversation, MemoryNode } from '../../shared/model';
import type { LocalStore } from '../../shared/sync/ports';
import { deleteItem, importItems } from '../../shared/sync/vault-ops';
import type { KeywordSearchStorage, SearchIndexTable } from '../../web/src/search/index-table';
import { appendToSearchIndex, emptyStats, KeywordIndexReader, readIndexStats, removeFromSearchIndex, type DocsRow, type IndexDoc, type SearchIndexRow } from '../../web/src/search/keyword-index';
import { KeywordSearch } from '../../web/src/search/keyword-search';

export interface IndexTableUnderTest {
  table: SearchIndexTable;
  close(): Promise<void>;
}

export interface VaultUnderTest {
  store: LocalStore;
  search: KeywordSearchStorage;
  /** The adapter's way to run the app's compactSearchIndex. */
  compact(minSegments: number): Promise<{ partsMerged: number }>;
  close(): Promise<void>;
}

function doc(docId: number, human: string, assistant: string): IndexDoc {
  return { docId, nodeId: `n${docId}`, conversationId: `claude:c${docId % 2}`, provider: 'claude', createdAt: docId * 1000, active: true, human, assistant, hidden: '' };
}

const docsRow = (seg: number): DocsRow => ({
  part: 'docs',
  seg,
  kind: 'docs',
  docIds: Uint32Array.of(seg, seg + 100),
  provider: Uint8Array.of(1, 2),
  createdAt: Float64Array.of(Number.NaN, 5.5),
  active: Uint8Array.of(1, 0),
  lengths: Uint32Array.of(1, 2, 3, 4, 5, 6),
  conversations: ['a', 'b'],
  conversationOf: Uint32Array.of(0, 1),
  nodeIds: 'x\ny',
});

function conversation(n: number, title: string): Conversation {
  return {
    schemaVersion: 1,
    id: `claude:k${n}`,
    provider: 'claude',
    providerConversationId: `k${n}`,
    kind: 'chat',
    title,
    createdAt: n,
    updatedAt: n,
    model: null,
    messageCount: 2,
    nodeCount: 1,
    raw: '{}',
  };
}

function node(n: number, conversationId: string, human: string, assistant: string): MemoryNode {
  return {
    schemaVersion: 1,
    id: n.toString(16).padStart(64, '0'),
    kind: 'exchange',
    provider: 'claude',
    conversationId,
    ordinal: 0,
    active: true,
    branchId: null,
    human: { text: human, messageIds: ['h'], createdAt: n, model: null },
    assistant: { text: assistant, messageIds: ['a'], createdAt: n, model: null },
    extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
    attachments: [],
    createdAt: n,
  };
}

const TEXTS: [string, string][] = [
  ['how do tides work', 'the moon pulls the ocean and the tide rises'],
  ['recipe for sourdough bread', 'feed the starter, then knead and proof the dough'],
  ['why is the sky blue', 'rayleigh scattering of sunlight by the air'],
  ['tide tables for brest', 'spring tides are highest near the new moon'],
  ['best sourdough starter flour', 'rye flour makes a lively starter'],
];

export function searchIndexTableContract(name: string, openTable: () => Promise<IndexTableUnderTest>, openVault: () => Promise<VaultUnderTest>): void {
  describe(`keyword index storage port: ${name}`, () => {
    async function withTable(test: (table: SearchIndexTable) => Promise<void>): Promise<void> {
      const subject = await openTable();
      try {
        await test(subject.table);
      } finally {
        await subject.close();
      }
    }

    it('puts, gets, replaces and deletes rows by [part, seg], typed arrays intact', () =>
      withTable(async (table) => {
        expect(await table.get(['docs', 1])).toBeUndefined();
        await table.put(docsRow(1));
        await table.bulkPut([docsRow(2), docsRow(3), emptyStats(7)]);
        expect(await table.get(['docs', 1])).toEqual(docsRow(1));
        const [two, missing, stats] = await table.bulkGet([['docs', 2], ['docs', 9], ['stats', 0]]);
        expect(two).toEqual(docsRow(2));
        expect(two?.kind === 'docs' && two.createdAt instanceof Float64Array && Number.isNaN(two.createdAt[0])).toBe(true);
        expect(missing).toBeUndefined();
        expect(stats).toEqual(emptyStats(7));
        await table.put({ ...docsRow(2), nodeIds: 'p\nq' });
        expect(await table.get(['docs', 2])).toMatchObject({ nodeIds: 'p\nq' });
        await table.delete(['docs', 1]);
        await table.bulkDelete([['docs', 3], ['docs', 42]]);
        expect(await table.bulkGet([['docs', 1], ['docs', 2], ['docs', 3]])).toEqual([undefined, { ...docsRow(2), nodeIds: 'p\nq' }, undefined]);
      }));

    it('answers compound-key ranges within a part in segment order, upper bound excluded', () =>
      withTable(async (table) => {
        await table.bulkPut([docsRow(5), docsRow(1), docsRow(3), { ...emptyStats(1) }, { part: 'lex', seg: 2, kind: 'lexicon', terms: 'a\nb', df: Uint32Array.of(1, 2) }]);
        const all = table.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]);
        expect(await all.primaryKeys()).toEqual([['docs', 1], ['docs', 3], ['docs', 5]]);
        expect((await all.toArray()).map((r) => r.seg)).toEqual([1, 3, 5]);
        expect(await table.where('[part+seg]').between(['docs', 3], ['docs', 5]).primaryKeys()).toEqual([['docs', 3]]);
        expect(await table.where('[part+seg]').between(['p1', Dexie.minKey], ['p1', Dexie.maxKey]).toArray()).toEqual([]);
        // Across parts: every key of the parts starting with "d" or "l", in compound order.
        expect(await table.where('[part+seg]').between(['d', Dexie.minKey], ['m', Dexie.minKey]).primaryKeys()).toEqual([['docs', 1], ['docs', 3], ['docs', 5], ['lex', 2]]);
        expect(await table.where('[part+seg]').between(['docs', 3], ['lex', 2]).primaryKeys()).toEqual([['docs', 3], ['docs', 5]]);
      }));

    it('answers a range across parts in [part, seg] order (the pending group rows g0…g31 are read as one range)', () =>
      withTable(async (table) => {
        const lex = (part: string, seg: number): SearchIndexRow => ({ part, seg, kind: 'postings', keys: 'ha', offsets: Uint32Array.of(0, 1), data: Uint8Array.of(0) });
        await table.bulkPut([lex('g10', 2), lex('g2', 7), lex('g2', 3), lex('h', 0), lex('f9', 1), docsRow(4)]);
        const groups = table.where('[part+seg]').between(['g', Dexie.minKey], ['h', Dexie.minKey]);
        expect(await groups.primaryKeys()).toEqual([['g10', 2], ['g2', 3], ['g2', 7]]);
        expect((await groups.toArray()).map((r) => `${r.part}/${r.seg}`)).toEqual(['g10/2', 'g2/3', 'g2/7']);
      }));

    it('holds what keyword-index.ts appends and removes: statistics, postings, prefixes', () =>
      withTable(async (table) => {
        let stats = await readIndexStats(table);
        stats = await appendToSearchIndex(table, stats, [doc(1, 'tides and moon', 'ocean tide'), doc(2, 'bread', 'sourdough starter')]);
        stats = await appendToSearchIndex(table, stats, [doc(3, 'tidal power', 'turbines in the tide')]);
        expect(await readIndexStats(table)).toEqual(stats);
        expect(stats).toMatchObject({ docCount: 3, nextDocId: 4, nextSeg: 3 });
        const reader = new KeywordIndexReader(() => table);
        await reader.stats();
        const postings = await reader.postings('tide', ['a']);
        expect(postings.get('a')!.flatMap((p) => [...p.docIds])).toEqual([1, 3]);
        expect(await reader.expandPrefix('tid', 5)).toEqual(expect.arrayContaining(['tide', 'tides', 'tidal']));
        const after = await removeFromSearchIndex(table, [1]);
        expect(after.docCount).toBe(2);
        const docs = await new KeywordIndexReader(() => table).docs();
        expect([...docs.present.subarray(0, 4)]).toEqual([0, 0, 1, 1]);
      }));

    it("runs the app's KeywordSearch over a vault written through the sync store: ranked hits, deletions gone", async () => {
      const vault = await openVault();
      try {
        const ctx = { store: vault.store, clock: { now: () => 1000 }, deviceId: 'device-a' };
        const conversations = TEXTS.map((_, i) => conversation(i, `Chat ${i}`));
        const nodes = TEXTS.map(([h, a], i) => node(i + 1, conversations[i]!.id, h, a));
        await importItems(ctx, { conversations: conversations.slice(0, 3), nodes: nodes.slice(0, 3) });
        await importItems(ctx, { conversations: conversations.slice(3), nodes: nodes.slice(3) });
        const search = new KeywordSearch(vault.search);
        const tides = await search.searchDetailed('tide', {}, 10);
        expect(tides.hits.map((h) => h.nodeId).sort()).toEqual([nodes[0]!.id, nodes[3]!.id].sort());
        const sourdough = await search.search('sourdough starter', {}, 10);
        expect(sourdough.map((h) => h.nodeId)).toEqual([nodes[4]!.id, nodes[1]!.id]);
        // Compaction merges the two imports' segments into one per part; answers stay the same.
        const docsSegments = async () => (await vault.search.searchIndex.where('[part+seg]').between(['docs', Dexie.minKey], ['docs', Dexie.maxKey]).primaryKeys()).length;
        expect(await docsSegments()).toBe(2);
        expect((await vault.compact(2)).partsMerged).toBeGreaterThan(2);
        expect(await docsSegments()).toBe(1);
        expect((await search.search('sourdough starter', {}, 10)).map((h) => h.nodeId)).toEqual([nodes[4]!.id, nodes[1]!.id]);
        expect(sourdough[0]?.conversationTitle ?? (await vault.search.conversations.bulkGet([conversations[4]!.id]))[0]?.title).toBe('Chat 4');
        await deleteItem(ctx, `conversation:${conversations[3]!.id}`);
        expect((await search.search('tide', {}, 10)).map((h) => h.nodeId)).toEqual([nodes[0]!.id]);
        // A re-imported deleted item stays deleted (C9), so search does not find it either.
        await importItems(ctx, { conversations: [conversations[3]!], nodes: [nodes[3]!] });
        expect((await search.search('brest', {}, 10)).map((h) => h.nodeId)).toEqual([]);
      } finally {
        await vault.close();
      }
    });
  });
}
