// Quoted phrases stay exact when many exchanges hold the phrase's words but only a few hold the phrase: the
// candidates are checked in several chunks (some read ahead), and the allocation-free phrase check must agree
// with the tokenizer on every text.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import type { MemoryNode } from '../../shared/model';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { SearchService } from '../../web/src/search/search';
import { containsPhrase, phraseStarts } from '../../web/src/search/snippets';
import { terms, tokenize } from '../../web/src/search/tokenize';

const EXCHANGES = 240;
/** Exchanges that say "harbor lantern" in that order; every other one has both words apart. */
const PHRASED = new Set([7, 95, 160, 233]);

function text(i: number): string {
  if (i === 233) return `Near the Harbor Lántern we waited, exchange ${i}.`;
  if (PHRASED.has(i)) return `The old harbor lantern glowed all night, exchange ${i}.`;
  // Both words, never next to each other in this order (and one reversed pair, which must not match).
  return i % 2 === 0 ? `A lantern by the harbor wall, exchange ${i}.` : `Every harbor keeps a lantern lit, exchange ${i}.`;
}

function batch(): ImportBatch {
  const items = Array.from({ length: EXCHANGES / 10 }, (_, c) => {
    const id = `claude:harbor-${c}`;
    const nodes: MemoryNode[] = Array.from({ length: 10 }, (_, k) => {
      const i = c * 10 + k;
      return {
        schemaVersion: 1,
        id: (i + 1).toString(16).padStart(64, '0'),
        kind: 'exchange',
        provider: 'claude',
        conversationId: id,
        ordinal: k,
        active: true,
        branchId: null,
        human: { text: `Question ${i} about the coast`, messageIds: [], createdAt: null, model: null },
        assistant: { text: text(i), messageIds: [], createdAt: null, model: null },
        extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
        attachments: [],
        createdAt: null,
      };
    });
    return {
      conversation: {
        schemaVersion: 1 as const,
        id,
        provider: 'claude' as const,
        providerConversationId: `harbor-${c}`,
        kind: 'chat' as const,
        title: `Harbor notes ${c}`,
        createdAt: null,
        updatedAt: null,
        model: null,
        messageCount: 20,
        nodeCount: 10,
        raw: '{}',
      },
      nodes,
      duplicates: 0,
    };
  });
  return { items, progress: { bytesRead: 1, totalBytes: 1, records: items.length, conversations: items.length, nodes: 0, duplicates: 0 }, checkpoint: { records: items.length } };
}

let db: VaultDatabase;
let search: SearchService;
const name = `search-phrase-test-${process.pid}`;

beforeAll(async () => {
  db = await openVaultDatabase({ name });
  const importId = await createImportRow(db, { fileName: 'harbor.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  await commitImportBatch(db, importId, batch(), { parseMs: 0, now: 2 });
  search = new SearchService(db);
});

afterAll(async () => {
  db.close();
  await Dexie.delete(name);
});

const exchangeOf = (nodeId: string): number => Number.parseInt(nodeId, 16) - 1;

describe('phrase search over many candidates', () => {
  it('finds exactly the exchanges holding the phrase, wherever they rank, with their titles', async () => {
    const response = await search.search('"harbor lantern"', { limit: 20 });
    expect(response.results.map((r) => exchangeOf(r.nodeId)).sort((a, b) => a - b)).toEqual([...PHRASED].sort((a, b) => a - b));
    expect(response.keywordTotal).toBe(PHRASED.size);
    for (const r of response.results) expect(r.conversationTitle).toBe(`Harbor notes ${Math.floor(exchangeOf(r.nodeId) / 10)}`);
    expect(response.results.every((r) => r.snippet.ranges.length > 0)).toBe(true);
  });

  it('stops at the limit with the best ranked phrase matches, in rank order', async () => {
    const all = await search.keyword.searchDetailed('"harbor lantern"', {}, 20);
    const two = await search.keyword.searchDetailed('"harbor lantern"', {}, 2);
    expect(two.hits.map((h) => h.nodeId)).toEqual(all.hits.slice(0, 2).map((h) => h.nodeId));
    const scores = all.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('does not match the words in the other order or apart', async () => {
    // No exchange says "lantern harbor": the words are searched instead, and the response says so.
    const reversed = await search.search('"lantern harbor"');
    expect(reversed.missedPhrases).toEqual([['lantern', 'harbor']]);
    expect(reversed.results.length).toBeGreaterThan(0);
    expect(reversed.results.every((r) => r.snippet.ranges.length > 0)).toBe(true);
    expect((await search.search('"lantern lit"')).results.map((r) => exchangeOf(r.nodeId)).every((i) => i % 2 === 1 && !PHRASED.has(i))).toBe(true);
  });
});

describe('phrase search over a vault indexed before word positions were kept', () => {
  it('checks the candidates against their text and finds the same exchanges', async () => {
    const before = await search.search('"harbor lantern"', { limit: 20 });
    // Rows as an older version wrote them: postings without positions.
    const rows = await db.searchIndex.toArray();
    await db.searchIndex.bulkPut(rows.flatMap((row) => (row.kind === 'postings' ? [{ ...row, positions: undefined, positionOffsets: undefined }] : [])));
    expect((await db.searchIndex.toArray()).some((row) => row.kind === 'postings' && row.positions !== undefined)).toBe(false);
    const older = new SearchService(db);
    const response = await older.search('"harbor lantern"', { limit: 20 });
    expect(response.results.map((r) => r.nodeId)).toEqual(before.results.map((r) => r.nodeId));
    expect(response.results.map((r) => exchangeOf(r.nodeId)).sort((a, b) => a - b)).toEqual([...PHRASED].sort((a, b) => a - b));
    expect((await older.search('"lantern harbor"')).missedPhrases).toEqual([['lantern', 'harbor']]);
  });
});

describe('containsPhrase', () => {
  const reference = (text: string, phrase: string[]): boolean => phraseStarts(tokenize(text), phrase).length > 0;
  const word = fc.constantFrom('the', 'The', 'harbor', 'HARBOR', 'lantern', 'Lántern', 'café', 'cafe', 'ﬁle', 'file', '東京', 'x'.repeat(41), 'a1', 'İstanbul');
  const gap = fc.constantFrom(' ', ', ', '. ', '\n', '-', '  ', "'");

  it('agrees with the tokenizer on any text', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(word, gap), { maxLength: 30 }), fc.array(word, { minLength: 2, maxLength: 3 }), (parts, phraseWords) => {
        const text = parts.map(([w, g]) => w + g).join('');
        const phrase = terms(phraseWords.join(' '));
        if (phrase.length < 2) return;
        expect(containsPhrase(text, phrase)).toBe(reference(text, phrase));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles repeated words and matches accents and case like the index does', () => {
    expect(containsPhrase('the the the cat', ['the', 'the', 'cat'])).toBe(true);
    expect(containsPhrase('the cat the the', ['the', 'the', 'cat'])).toBe(false);
    expect(containsPhrase('Near the Harbor Lántern.', ['harbor', 'lantern'])).toBe(true);
    // Over-long words are not words at all, so the phrase reads across them, as in the index.
    expect(containsPhrase(`harbor ${'z'.repeat(50)} lantern`, ['harbor', 'lantern'])).toBe(true);
  });
});
