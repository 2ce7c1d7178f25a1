// Keyword search answers from the index statistics and titles it holds in memory while it reads the stored ones
// (KeywordSearch.answerChecked). Another tab or the import worker writes through its own connection: whatever it
// committed before a query starts must be in that query's answer, never the state this search last read.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { deleteNodes } from '../../web/src/db/vault-writes';
import { compactSearchIndex, KeywordIndexReader } from '../../web/src/search/keyword-index';
import { KeywordSearch, type KeywordTrace } from '../../web/src/search/keyword-search';
import { renameConversation } from '../../web/src/vault/edit-writes';
import { testNodeId, textBatch, textConversation, textNode } from './text-batch';


const nodeId = (conversation: number, k: number): string => testNodeId(conversation * 1000 + k + 1);

function batch(conversation: number, title: string, texts: string[]): ImportBatch {
  const id = `grok:harbour-${conversation}`;
  return textBatch([textConversation(id, title, texts.map((text, k) => textNode(id, k, conversation * 1000 + k + 1, `Question ${k} about the harbour`, text)))]);
}

let name = '';
let reader: VaultDatabase;
let writer: VaultDatabase;
let search: KeywordSearch;
let traces: KeywordTrace[];

async function importInto(db: VaultDatabase, conversation: number, title: string, texts: string[]): Promise<void> {
  const importId = await createImportRow(db, { fileName: `harbour-${conversation}.json`, status: 'processing', bytes: 1, fileKey: `k${conversation}`, now: 1 });
  await commitImportBatch(db, importId, batch(conversation, title, texts), { parseMs: 0, now: 2 });
}

/** Node ids and scores of a query's page, as this search answers it. */
async function page(query: string): Promise<string[]> {
  return (await search.search(query, {}, 20)).map((hit) => `${hit.nodeId}:${hit.score.toFixed(9)}`);
}

/** The same page from a search that reads the stored statistics and titles first (nothing in memory to trust). */
async function readFirstPage(query: string): Promise<string[]> {
  return (await new KeywordSearch(reader, { readFirst: true }).search(query, {}, 20)).map((hit) => `${hit.nodeId}:${hit.score.toFixed(9)}`);
}

beforeEach(async () => {
  name = `search-fresh-view-${process.pid}-${Math.random().toString(36).slice(2)}`;
  // Two connections to one vault: the page's, and another tab's (or the import worker's).
  reader = await openVaultDatabase({ name });
  writer = await openVaultDatabase({ name });
  await importInto(writer, 1, 'Harbour pilots', ['the pilot boards at dawn', 'tugboats push the tanker', 'fog closes the channel']);
  search = new KeywordSearch(reader);
  traces = [];
  search.trace = (trace) => traces.push(trace);
  // The first query reads the stored statistics and titles; the next ones answer from memory while checking them.
  expect(await page('pilot')).toHaveLength(1);
  expect(await page('tanker')).toHaveLength(1);
  expect(traces.map((trace) => trace.reran)).toEqual([false, false]);
});

afterEach(async () => {
  reader.close();
  writer.close();
  await Dexie.delete(name);
});

describe('keyword search on statistics in memory', () => {
  it("finds an exchange another connection imported after this search's last query, with the total counting it", async () => {
    await importInto(writer, 2, 'Lighthouse log', ['the lighthouse keeper trims the wick', 'a second pilot rows out']);
    const hits = await search.searchDetailed('pilot', {}, 20);
    expect(hits.hits.map((hit) => hit.nodeId).sort()).toEqual([nodeId(1, 0), nodeId(2, 1)].sort());
    expect(hits.total).toBe(2);
    expect(await page('lighthouse')).toEqual(await readFirstPage('lighthouse'));
    // The first answer after the write came from the statistics in memory and was caught: it was answered again.
    expect(traces.at(-2)?.reran).toBe(true);
    expect(traces.at(-1)?.reran).toBe(false);
  });

  it('gives the pages a search reading first gives after another connection compacts the index', async () => {
    await importInto(writer, 2, 'Lighthouse log', ['the lighthouse keeper trims the wick', 'a second pilot rows out']);
    expect(await page('pilot')).toHaveLength(2);
    const { partsMerged } = await compactSearchIndex(writer, { minSegments: 2 });
    expect(partsMerged).toBeGreaterThan(0);
    for (const query of ['pilot', 'the', 'tug', '"the tanker"', 'lighthouse wick']) expect(await page(query)).toEqual(await readFirstPage(query));
    expect(traces.some((trace) => trace.reran)).toBe(true);
  });

  it('no longer finds an exchange another connection deleted', async () => {
    await deleteNodes(writer, [nodeId(1, 1)]);
    expect(await page('tanker')).toEqual([]);
    expect(await page('tugboats tanker')).toEqual([]);
    expect(await page('fog')).toEqual(await readFirstPage('fog'));
  });

  it('finds a conversation by the title another connection renamed it to (a title change leaves the statistics as they were)', async () => {
    expect(await page('cormorant')).toEqual([]);
    const before = await reader.searchIndex.get(['stats', 0]);
    await renameConversation(writer, 'grok:harbour-1', 'Cormorant sightings');
    expect(await reader.searchIndex.get(['stats', 0])).toEqual(before);
    const hits = await search.searchDetailed('cormorant', {}, 20);
    expect(hits.hits.length).toBeGreaterThan(0);
    expect(hits.hits[0]?.conversationTitle).toBe('Cormorant sightings');
    expect(traces.at(-1)?.reran).toBe(true);
  });

  it('queries asked together after a rename all find the new title', async () => {
    await renameConversation(writer, 'grok:harbour-1', 'Cormorant sightings');
    const answers = await Promise.all(['cormorant', 'cormorant pilot', 'cormorant', 'cormorant fog'].map((query) => search.searchDetailed(query, {}, 20)));
    for (const answer of answers) expect(answer.hits[0]?.conversationTitle).toBe('Cormorant sightings');
  });

  it('answers once, from memory, while nothing was written', async () => {
    for (const query of ['pilot', 'fog channel', 'tug', '"the tanker"', 'harbour']) expect(await page(query)).toEqual(await readFirstPage(query));
    expect(traces.filter((trace) => trace.reran)).toEqual([]);
  });
});

describe('prefix expansion', () => {
  it('picks the prefix itself, then the most frequent terms (ties in term order), as sorting every term would; so do the most frequent terms', async () => {
    await importInto(writer, 2, 'Tackle', ['tack tacks tackle tackled tacky tact tactic tactics', 'tack tacks tackle', 'tack tactic tab table tabs', 'taboo tab tab']);
    const reader2 = new KeywordIndexReader(() => reader.searchIndex);
    const listed = await reader2.frequentTerms(Number.MAX_SAFE_INTEGER);
    // The reference: every term sorted, most documents first, then in term order.
    const all = [...listed].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
    expect(listed).toEqual(all);
    expect(all.length).toBeGreaterThan(20);
    for (const max of [1, 5, 12]) expect(await reader2.frequentTerms(max)).toEqual(all.slice(0, max));
    for (const prefix of ['t', 'ta', 'tac', 'tack', 'tab', 'the', 'zz']) {
      for (const max of [1, 3, 8, 100]) {
        const sorted = all.map(([term]) => term).filter((term) => term.startsWith(prefix));
        const expected = sorted.includes(prefix) ? [prefix, ...sorted.filter((term) => term !== prefix)] : sorted;
        expect(await reader2.expandPrefix(prefix, max)).toEqual(expected.slice(0, max));
      }
    }
    expect(await reader2.expandPrefix('ta', 0)).toEqual([]);
  });
});
