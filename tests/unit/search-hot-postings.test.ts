// Very common terms stay decoded between queries; an import or a compaction after that must still show up in
// the next search (the cached postings are checked against the part's segments).
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import type { SearchIndexTable } from '../../web/src/search/index-table';
import { compactSearchIndex, KeywordIndexReader, postingsPart } from '../../web/src/search/keyword-index';
import { KeywordSearch } from '../../web/src/search/keyword-search';
import { textBatch, textConversation, textNode } from './text-batch';

function batch(conversation: number, texts: string[]): ImportBatch {
  const id = `grok:tide-${conversation}`;
  return textBatch([textConversation(id, `Tides ${conversation}`, texts.map((text, k) => textNode(id, k, conversation * 1000 + k + 1, `Question ${k}`, text)))]);
}

let db: VaultDatabase;
let importId: number;
const name = `search-hot-postings-test-${process.pid}`;

beforeAll(async () => {
  db = await openVaultDatabase({ name });
  importId = await createImportRow(db, { fileName: 'tides.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  await commitImportBatch(db, importId, batch(1, ['the tide is high', 'the tide turns', 'no water here']), { parseMs: 0, now: 2 });
});

afterAll(async () => {
  db.close();
  await Dexie.delete(name);
});

async function docsWith(reader: KeywordIndexReader, term: string): Promise<number[]> {
  const byField = await reader.postings(term, ['h', 'a']);
  return [...byField.values()].flat().flatMap((list) => [...list.docIds]).sort((a, b) => a - b);
}

describe('decoded postings of common terms', () => {
  it('are the same as a fresh read, and follow imports and compaction', async () => {
    // Threshold 1: every term counts as common, so every read after the first could come from the cache.
    const cached = new KeywordIndexReader(() => db.searchIndex, 1);
    const fresh = (): KeywordIndexReader => new KeywordIndexReader(() => db.searchIndex, Number.POSITIVE_INFINITY);

    const first = await docsWith(cached, 'tide');
    expect(first).toHaveLength(2);
    expect(await docsWith(cached, 'tide')).toEqual(first);

    await commitImportBatch(db, importId, batch(2, ['a tide table', 'tide pools at dawn']), { parseMs: 0, now: 3 });
    const afterImport = await docsWith(cached, 'tide');
    expect(afterImport).toHaveLength(4);
    expect(afterImport).toEqual(await docsWith(fresh(), 'tide'));

    await compactSearchIndex(db, { minSegments: 2 });
    expect(await docsWith(cached, 'tide')).toEqual(afterImport);
    expect(await docsWith(cached, 'water')).toEqual(await docsWith(fresh(), 'water'));
  });
});

describe('rows kept between queries', () => {
  /** The real table, with the rows it hands out counted (what a query waits for). */
  function counting(): { table: SearchIndexTable; rowsRead: () => number; requests: () => number } {
    let read = 0;
    let requests = 0;
    const table: SearchIndexTable = {
      get: (key) => db.searchIndex.get(key),
      bulkGet: async (keys) => {
        const rows = await db.searchIndex.bulkGet(keys);
        const postings = rows.filter((row) => row?.kind === 'postings').length;
        read += postings;
        if (postings > 0) requests += 1;
        return rows;
      },
      put: (row) => db.searchIndex.put(row),
      bulkPut: (rows) => db.searchIndex.bulkPut([...rows]),
      delete: (key) => db.searchIndex.delete(key),
      bulkDelete: (keys) => db.searchIndex.bulkDelete(keys),
      where: (index) => ({
        between: (lower, upper) => {
          const range = db.searchIndex.where(index).between(lower, upper);
          return {
            toArray: async () => {
              const rows = await range.toArray();
              read += rows.filter((row) => row.kind === 'postings').length;
              return rows;
            },
            primaryKeys: () => range.primaryKeys(),
          };
        },
      }),
    };
    return { table, rowsRead: () => read, requests: () => requests };
  }

  it('reads the rows of words asked for together in one request, and hands each word its own postings', async () => {
    const words = ['tide', 'high', 'water', 'turns', 'here'];
    expect(new Set(words.map(postingsPart)).size).toBeGreaterThan(1);
    const { table, rowsRead, requests } = counting();
    const reader = new KeywordIndexReader(() => table, Number.POSITIVE_INFINITY);
    const listed = reader.pendingSegments(reader.stats());
    const byWord = await Promise.all(words.map((word) => reader.postings(word, ['h', 'a'], listed)));
    expect(requests()).toBe(1);
    expect(rowsRead()).toBeGreaterThan(1);
    for (const [i, word] of words.entries()) {
      const docs = [...(byWord[i]?.values() ?? [])].flat().flatMap((list) => [...list.docIds]).sort((a, b) => a - b);
      expect(docs).toEqual(await docsWith(new KeywordIndexReader(() => db.searchIndex), word));
    }
  });

  it('a warmed reader reads no postings row for a word it has not seen, and still sees a later import', async () => {
    await compactSearchIndex(db, { minSegments: 1 });
    const { table, rowsRead } = counting();
    const reader = new KeywordIndexReader(() => table, Number.POSITIVE_INFINITY);
    const stats = await reader.stats();
    await reader.warm(stats);
    const afterWarm = rowsRead();
    expect(afterWarm).toBeGreaterThan(0);
    const listed = reader.pendingSegments(reader.stats());
    expect(await docsWith(reader, 'dawn')).toEqual(await docsWith(new KeywordIndexReader(() => db.searchIndex), 'dawn'));
    expect((await reader.postings('tide', ['h', 'a'], listed)).size).toBe(2);
    expect(rowsRead()).toBe(afterWarm);

    await commitImportBatch(db, importId, batch(3, ['dawn again']), { parseMs: 0, now: 4 });
    const withImport = await reader.postings('dawn', ['a'], reader.pendingSegments(reader.stats()));
    expect([...withImport.values()].flat().reduce((n, list) => n + list.docIds.length, 0)).toBe(2);
  });
});

describe('the warm-up rehearsal', () => {
  it('searches in the background once queries pause, reports nothing, and changes no answer', async () => {
    let pages = 0;
    const storage = {
      searchIndex: db.searchIndex,
      nodes: {
        bulkGet: (ids: string[]) => {
          pages += 1;
          return db.nodes.bulkGet(ids);
        },
      },
      conversations: db.conversations,
    };
    const search = new KeywordSearch(storage, { warmIndex: true });
    let traced = 0;
    search.trace = () => {
      traced += 1;
    };
    const before = await search.searchDetailed('tide dawn ', {}, 20);
    await search.searchDetailed('water ', {}, 20);
    const pagesAfterQueries = pages;
    // Once queries pause, the rehearsal's searches read their pages.
    for (let waited = 0; waited < 5000 && pages === pagesAfterQueries; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pages).toBeGreaterThan(pagesAfterQueries);
    expect(traced).toBe(2);
    const after = await search.searchDetailed('tide dawn ', {}, 20);
    expect(after.hits.map((hit) => [hit.nodeId, hit.score])).toEqual(before.hits.map((hit) => [hit.nodeId, hit.score]));
    expect(after.total).toBe(before.total);
  });
});
