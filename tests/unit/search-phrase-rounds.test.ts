// A quoted phrase is checked on the best ranked candidates first, in rounds of growing size, before one walk over
// every candidate. The vault is built so that the first round (the best 100 candidates) holds too few exchanges with
// the phrase for a page, a later round holds the rest, and a second phrase is held only by a few exchanges at the bottom of the
// ranking (the rounds give up and the walk finds them). The page must be the page every candidate checked gives.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import type { MemoryNode } from '../../shared/model';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { KeywordSearch } from '../../web/src/search/keyword-search';
import { containsPhrase } from '../../web/src/search/snippets';
import { textBatch, textConversation, textNode } from './text-batch';

/** Short exchanges with both words apart: they rank first. */
const SHORT = 150;
/** Exchanges saying "alpha beta": the first EARLY as short as the short ones, the others a little longer (they rank right after). */
const HOLDERS = 60;
const EARLY = 10;
/** Long exchanges with the words apart; the last LATE of them say "gamma delta". */
const LONG = 1900;
const LATE = 5;
const EXCHANGES = SHORT + HOLDERS + LONG;

function reply(i: number): string {
  const filler = (n: number): string => Array.from({ length: n }, (_, k) => `filler${k % 7}`).join(' ');
  const gammaDelta = i >= EXCHANGES - LATE ? 'gamma delta' : 'delta then gamma';
  if (i < SHORT) return `beta then alpha. ${gammaDelta}.`;
  if (i < SHORT + EARLY) return `alpha beta. ${gammaDelta}.`;
  if (i < SHORT + HOLDERS) return `alpha beta ${filler(4)}. ${gammaDelta}.`;
  return `beta ${filler(8 + (i % 16))} alpha. ${gammaDelta}.`;
}

function batch(): ImportBatch {
  const items: ImportBatch['items'] = [];
  for (let c = 0; c * 10 < EXCHANGES; c++) {
    const id = `claude:rounds-${c}`;
    const nodes: MemoryNode[] = [];
    for (let i = c * 10; i < Math.min(EXCHANGES, c * 10 + 10); i++) nodes.push(textNode(id, i - c * 10, i + 1, 'Question', reply(i)));
    items.push(textConversation(id, `Notes ${c}`, nodes));
  }
  return textBatch(items);
}

let db: VaultDatabase;
let keyword: KeywordSearch;
const name = `search-phrase-rounds-test-${process.pid}`;

beforeAll(async () => {
  db = await openVaultDatabase({ name });
  const importId = await createImportRow(db, { fileName: 'rounds.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  await commitImportBatch(db, importId, batch(), { parseMs: 0, now: 2 });
  keyword = new KeywordSearch(db);
});

afterAll(async () => {
  db.close();
  await Dexie.delete(name);
});

const exchangeOf = (nodeId: string): number => Number.parseInt(nodeId, 16) - 1;

describe('phrase checks in rounds', () => {
  it('the vault is as intended: the best 100 candidates hold "alpha beta" too few times for a page of 20', async () => {
    const words = await keyword.searchDetailed('alpha beta ', {}, 100);
    expect(words.total).toBe(EXCHANGES);
    expect(words.hits).toHaveLength(100);
    expect(words.hits.filter((hit) => hit.node && containsPhrase(hit.node.assistant?.text ?? '', ['alpha', 'beta']))).toHaveLength(EARLY);
  });

  it('a later round finds the best phrase matches: the page every candidate checked gives', async () => {
    // A limit this large checks every candidate in the first round.
    const every = await keyword.searchDetailed('"alpha beta"', {}, 10_000);
    expect(every.hits.map((hit) => exchangeOf(hit.nodeId)).sort((a, b) => a - b)).toEqual(Array.from({ length: HOLDERS }, (_, k) => SHORT + k));
    expect(every.total).toBe(HOLDERS);
    for (const limit of [5, 20, 50]) {
      const page = await keyword.searchDetailed('"alpha beta"', {}, limit);
      expect(page.hits.map((hit) => [hit.nodeId, hit.score])).toEqual(every.hits.slice(0, limit).map((hit) => [hit.nodeId, hit.score]));
      expect(page.missedPhrases).toEqual([]);
    }
  });

  it('a phrase only the last-ranked exchanges hold is found by the walk over every candidate, with an exact total', async () => {
    const page = await keyword.searchDetailed('"gamma delta"', {}, 20);
    expect(page.hits.map((hit) => exchangeOf(hit.nodeId)).sort((a, b) => a - b)).toEqual(Array.from({ length: LATE }, (_, k) => EXCHANGES - LATE + k));
    expect(page.total).toBe(LATE);
    expect(page.missedPhrases).toEqual([]);
  });
});
