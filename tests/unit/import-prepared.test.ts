// The import write path prepares a batch's node rows and index segment before its transaction (so the next batch
// is parsed and indexed while IndexedDB writes the current one). A prepared batch is used only when the index is
// still where it was prepared for; otherwise it is built again inside the transaction. Either way the vault must be
// the same: every node searchable once, docIds and segments never reused.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import type { Conversation, MemoryNode } from '../../shared/model';
import { commitImportBatch, createImportRow, indexPosition, loadKnownIds, prepareImportBatch } from '../../web/src/db/import-writes';
import { tombstonedKeys } from '../../web/src/db/sync-bookkeeping';
import { putNodes, toNodeRow } from '../../web/src/db/vault-writes';
import { buildSegment, nodeToIndexDoc, readIndexStats, type LexiconRow, type DocsRow } from '../../web/src/search/keyword-index';
import { KeywordSearch } from '../../web/src/search/keyword-search';
import { terms } from '../../web/src/search/tokenize';
import { useFreshDatabases } from './fresh-db';

const fresh = useFreshDatabases('import-prepared');

function node(conversationId: string, i: number, human: string): MemoryNode {
  return {
    schemaVersion: 1,
    id: `${conversationId}/${i}`.split('').map((ch) => ch.charCodeAt(0).toString(16)).join('').padStart(64, '0').slice(-64),
    kind: 'exchange',
    provider: 'claude',
    conversationId,
    ordinal: i,
    active: true,
    branchId: null,
    human: { text: human, messageIds: [], createdAt: null, model: null },
    assistant: { text: `reply ${i}`, messageIds: [], createdAt: null, model: null },
    extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
    attachments: [],
    createdAt: 1_700_000_000_000 + i,
  };
}

function batch(conversationId: string, texts: string[]): ImportBatch {
  const conversation: Conversation = {
    schemaVersion: 1,
    id: conversationId,
    provider: 'claude',
    providerConversationId: conversationId.split(':')[1] ?? conversationId,
    kind: 'chat',
    title: conversationId,
    createdAt: 1_700_000_000_000,
    updatedAt: null,
    model: null,
    messageCount: texts.length * 2,
    nodeCount: texts.length,
    raw: '{}',
  };
  const nodes = texts.map((text, i) => node(conversationId, i, text));
  return { items: [{ conversation, nodes, duplicates: 0 }], progress: { bytesRead: 1, totalBytes: 1, records: 1, conversations: 1, nodes: nodes.length, duplicates: 0 }, checkpoint: { records: 1 } };
}

async function ids(db: Awaited<ReturnType<typeof fresh>>, query: string): Promise<string[]> {
  return (await new KeywordSearch(db).search(query, {}, 50)).map((hit) => hit.node?.human.text ?? '');
}

describe('import batches prepared before their transaction', () => {
  it('a batch prepared while the one before commits is written as prepared, and the next position follows it', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
    const known = await loadKnownIds(db);
    const first = batch('claude:one', ['walrus tusk', 'walrus song']);
    const second = batch('claude:two', ['narwhal tusk']);
    const steps: string[] = [];
    const trace = (step: string): void => void steps.push(step);
    const a = prepareImportBatch(first, known, await indexPosition(db));
    const b = prepareImportBatch(second, known, a.next, a.ids);
    const countsA = await commitImportBatch(db, importId, first, { parseMs: 0, now: 2, trace }, known, a);
    expect(countsA.indexAt).toEqual(a.next);
    const countsB = await commitImportBatch(db, importId, second, { parseMs: 0, now: 3, trace }, known, b);
    expect(countsB.indexAt).toEqual(b.next);
    expect(steps.some((step) => step.startsWith('index build'))).toBe(false);
    expect((await ids(db, 'tusk ')).sort()).toEqual(['narwhal tusk', 'walrus tusk']);
    const stats = await readIndexStats(db.searchIndex);
    expect(stats.docCount).toBe(3);
    expect(stats.nextDocId).toBe(4);
  });

  it('a prepared batch whose position was taken by another write is indexed again inside the transaction, nothing lost or doubled', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
    const known = await loadKnownIds(db);
    const incoming = batch('claude:one', ['walrus tusk', 'walrus song']);
    const prepared = prepareImportBatch(incoming, known, await indexPosition(db));
    // Meanwhile a sync pull writes a node: it takes the docId and segment the batch was prepared for.
    await putNodes(db, [node('claude:synced', 0, 'walrus from the other device')]);
    const steps: string[] = [];
    const counts = await commitImportBatch(db, importId, incoming, { parseMs: 0, now: 2, trace: (step) => void steps.push(step) }, known, prepared);
    expect(steps.some((step) => step.startsWith('index build'))).toBe(true);
    expect(counts.created).toBe(2);
    expect(counts.indexAt).not.toEqual(prepared.next);
    expect((await ids(db, 'walrus')).sort()).toEqual(['walrus from the other device', 'walrus song', 'walrus tusk']);
    const rows = await db.nodes.all();
    expect(new Set(rows.map((row) => row.docId)).size).toBe(3);
    expect((await readIndexStats(db.searchIndex)).docCount).toBe(3);
  });

  it('a prepared batch that no longer matches what is new (a node stored meanwhile) is not used', async () => {
    const db = await fresh();
    const importId = await createImportRow(db, { fileName: 'a.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
    const known = await loadKnownIds(db);
    const incoming = batch('claude:one', ['walrus tusk', 'walrus song']);
    const prepared = prepareImportBatch(incoming, known, await indexPosition(db));
    const firstNode = incoming.items[0]?.nodes[0];
    if (!firstNode) throw new Error('no node');
    known.add(firstNode.id); // stored by an earlier batch of the same run
    const counts = await commitImportBatch(db, importId, incoming, { parseMs: 0, now: 2 }, known, prepared);
    expect(counts.created).toBe(1);
    expect(await ids(db, 'walrus')).toEqual(['walrus song']);
  });
});

describe('tombstone lookups', () => {
  it('answers the same whether the vault has no, few or many tombstones', async () => {
    const db = await fresh();
    expect(await tombstonedKeys(db, ['node:a', 'node:b'])).toEqual(new Set());
    await db.syncTombstones.bulkPut([{ key: 'node:b' }]);
    expect(await tombstonedKeys(db, ['node:a', 'node:b', 'node:c'])).toEqual(new Set(['node:b'])); // fewer than asked: one read of all
    await db.syncTombstones.bulkPut([{ key: 'node:x' }, { key: 'node:y' }, { key: 'node:z' }]);
    expect(await tombstonedKeys(db, ['node:b', 'node:q'])).toEqual(new Set(['node:b'])); // more than asked: one get per key
  });
});

describe('segment build', () => {
  it('indexes exactly the tokenizer\'s terms, in any script and case', () => {
    const texts = ['Ça va? Über ÉCOLE naïve 東京タワー ok OK Ok ﬁle İstanbul', `${'x'.repeat(41)} ${'Y'.repeat(40)} THE the The`, 'café CAFÉ Cafe\u0301 ǅemal'];
    const docs = texts.map((text, i) => nodeToIndexDoc(toNodeRow(node('claude:one', i, text), i + 1)));
    const rows = buildSegment(docs, 1).rows;
    const lexicon = rows.find((row): row is LexiconRow => row.kind === 'lexicon');
    const docsRow = rows.find((row): row is DocsRow => row.kind === 'docs');
    const expected = [...new Set(docs.flatMap((doc) => [...terms(doc.human), ...terms(doc.assistant)]))].sort();
    expect(lexicon?.terms.split('\n')).toEqual(expected);
    expect(Array.from(docsRow?.lengths ?? [])).toEqual(docs.flatMap((doc) => [terms(doc.human).length, terms(doc.assistant).length, terms(doc.hidden).length]));
  });
});
