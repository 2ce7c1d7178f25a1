// Keyword search, filters, snippets and fusion over a small hand-written vault, written through the real import
// write path (one transaction per batch) on fake-indexeddb.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import type { MemoryNode, Provider } from '../../shared/model';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { compactSearchIndex } from '../../web/src/search/keyword-index';
import { parseQuery } from '../../web/src/search/query';
import { keywordAnchoredFusion, reciprocalRankFusion, SearchService, type RankedHit, type ResultSource, type SearchFilters } from '../../web/src/search/search';
import { seededRandom } from '../../shared/embed/random';
import { plainText, stripCitations } from '../../web/src/search/display-text';
import { makeSnippet, matchRanges } from '../../web/src/search/snippets';
import { queryStopwords } from '../../web/src/search/stopwords';
import { terms, tokenize } from '../../web/src/search/tokenize';

interface Exchange {
  human: string;
  assistant: string | null;
  at?: number | null;
  active?: boolean;
  thinking?: string;
}

const DAY = 86_400_000;
const JAN_2024 = Date.UTC(2024, 0, 1);

const corpus: { id: string; provider: Provider; title: string; exchanges: Exchange[] }[] = [
  {
    id: 'chatgpt:kayak',
    provider: 'chatgpt',
    title: 'Sea kayak rolling',
    exchanges: [
      { human: 'How do I learn the Eskimo roll in a sea kayak?', assistant: 'Start with hip snaps at the pool edge, then practise the sweep roll with a spotter.', at: JAN_2024 },
      { human: 'What paddle length for a sea kayak?', assistant: 'For a narrow sea kayak most paddlers use 210 to 220 cm.', at: JAN_2024 + DAY },
      { human: 'What paddle length for a sea kayak?', assistant: 'Pick a paddle between two and three metres long.', at: JAN_2024 + DAY, active: false },
    ],
  },
  {
    id: 'claude:tax',
    provider: 'claude',
    title: 'Freelancer taxes',
    exchanges: [
      { human: 'Can I deduct my home office as a freelancer?', assistant: 'Usually yes, if the room is used only for work. Keep receipts for rent and utilities.', at: JAN_2024 + 40 * DAY, thinking: 'Check the exclusive-use rule before answering.' },
      { human: 'What about my kayak?', assistant: 'A kayak is a personal expense unless your business is guiding tours.', at: JAN_2024 + 41 * DAY },
    ],
  },
  {
    id: 'gemini:sql',
    provider: 'gemini',
    title: 'Window functions',
    exchanges: [
      { human: 'Explain window functions in SQL with a running total example', assistant: 'SUM(amount) OVER (ORDER BY day) gives a running total; PARTITION BY restarts it per customer.', at: JAN_2024 + 100 * DAY },
      { human: 'Is a running total the same as a cumulative sum?', assistant: 'Yes: a running total and a cumulative sum are the same thing.', at: null },
      { human: 'total running away', assistant: null, at: JAN_2024 + 101 * DAY },
    ],
  },
];

function batchFor(conversations: typeof corpus): ImportBatch {
  const items = conversations.map((c) => {
    let ordinal = 0;
    const nodes: MemoryNode[] = c.exchanges.map((e, i) => ({
      schemaVersion: 1,
      id: `${c.id}:${i}`.split('').reduce((h, ch) => h + ch.charCodeAt(0).toString(16), '').padEnd(64, '0').slice(0, 64),
      kind: 'exchange',
      provider: c.provider,
      conversationId: c.id,
      ordinal: e.active === false ? ordinal - 1 : ordinal++,
      active: e.active !== false,
      branchId: e.active === false ? `branch-${i}` : null,
      human: { text: e.human, messageIds: [], createdAt: e.at ?? null, model: null },
      assistant: e.assistant === null ? null : { text: e.assistant, messageIds: [], createdAt: e.at ?? null, model: null },
      extras: { thinking: e.thinking ? [e.thinking] : [], toolCalls: [], system: [], customInstructions: [], citations: [] },
      attachments: [],
      createdAt: e.at ?? null,
    }));
    return {
      conversation: {
        schemaVersion: 1 as const,
        id: c.id,
        provider: c.provider,
        providerConversationId: c.id.split(':')[1] ?? '',
        kind: 'chat' as const,
        title: c.title,
        createdAt: c.exchanges[0]?.at ?? null,
        updatedAt: null,
        model: null,
        messageCount: nodes.length * 2,
        nodeCount: nodes.filter((n) => n.active).length,
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
const name = `search-test-${process.pid}`;

beforeAll(async () => {
  db = await openVaultDatabase({ name });
  const importId = await createImportRow(db, { fileName: 'corpus.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  // One batch per conversation: several segments, like a real import, until compaction merges them.
  for (const conversation of corpus) await commitImportBatch(db, importId, batchFor([conversation]), { parseMs: 0, now: 2 });
  search = new SearchService(db);
});

afterAll(async () => {
  db.close();
  await Dexie.delete(name);
});

async function ids(query: string, filters: SearchFilters = {}, mode: 'keyword' | 'semantic' | 'hybrid' = 'keyword'): Promise<string[]> {
  const response = await search.search(query, { filters, mode });
  return response.results.map((r) => `${r.conversationId}#${r.ordinal}${r.active ? '' : '*'}`);
}

describe('query syntax', () => {
  it('splits words, quoted phrases and the word being typed', () => {
    expect(parseQuery('sea kay')).toEqual({ terms: ['sea'], prefix: 'kay', phrases: [] });
    expect(parseQuery('sea kayak ')).toEqual({ terms: ['sea', 'kayak'], prefix: null, phrases: [] });
    expect(parseQuery('"running total" sql ')).toEqual({ terms: ['sql'], prefix: null, phrases: [['running', 'total']] });
    expect(parseQuery('"running total" sq')).toEqual({ terms: [], prefix: 'sq', phrases: [['running', 'total']] });
    expect(parseQuery('"running tot')).toEqual({ terms: [], prefix: null, phrases: [['running', 'tot']] });
    expect(parseQuery('  ')).toEqual({ terms: [], prefix: null, phrases: [] });
  });

  it('tokenizes accents, CJK and offsets so highlights land on the original text', () => {
    const text = 'Café 東京 naïve';
    expect(tokenize(text).map((t) => [t.term, text.slice(t.start, t.end)])).toEqual([
      ['cafe', 'Café'],
      ['東', '東'],
      ['京', '京'],
      ['naive', 'naïve'],
    ]);
  });
});

describe('keyword search', () => {
  it('ranks exchanges holding every word of a short keyword query first, and the denser match first', async () => {
    expect(await ids('sea kayak paddle ')).toEqual(['chatgpt:kayak#1', 'chatgpt:kayak#0', 'claude:tax#1']);
    expect((await ids('sea kayak ')).slice(0, 2).sort()).toEqual(['chatgpt:kayak#0', 'chatgpt:kayak#1']);
    expect((await ids('kayak ')).sort()).toEqual(['chatgpt:kayak#0', 'chatgpt:kayak#1', 'claude:tax#1']);
    // Both words twice in a short reply beats once each in a long one.
    expect((await ids('cumulative sum '))[0]).toBe('gemini:sql#1');
    // The exchange is one document: three words holding both beat a longer exchange holding them twice.
    const running = await ids('running total ');
    expect(running.slice(0, 2)).toEqual(['gemini:sql#2', 'gemini:sql#1']);
    expect([...running].sort()).toEqual(['gemini:sql#0', 'gemini:sql#1', 'gemini:sql#2']);
  });

  it('matches the last word as a prefix while typing', async () => {
    expect(await ids('home off')).toEqual(['claude:tax#0']);
    expect(await ids('freelan')).toEqual(['claude:tax#0']);
    expect(await ids('zzzq')).toEqual([]);
  });

  it('matches quoted phrases in order only', async () => {
    expect((await ids('"running total"')).sort()).toEqual(['gemini:sql#0', 'gemini:sql#1']);
    // "total running" has both words but not as a phrase, except in the exchange that says exactly that.
    expect(await ids('"total running"')).toEqual(['gemini:sql#2']);
  });

  it('falls back to any word when no exchange has them all, and says so', async () => {
    const response = await search.search('kayak receipts zebra ');
    expect(response.matchedAll).toBe(false);
    expect(response.results[0]?.conversationId).toBe('claude:tax');
  });

  it('filters by provider, date range, conversation and role', async () => {
    expect(await ids('kayak ', { providers: ['claude'] })).toEqual(['claude:tax#1']);
    expect(await ids('running total ', { from: JAN_2024 + 99 * DAY })).toEqual(expect.arrayContaining(['gemini:sql#0', 'gemini:sql#2']));
    expect(await ids('running total ', { from: JAN_2024 + 99 * DAY })).not.toContain('gemini:sql#1');
    expect(await ids('kayak ', { conversationId: 'claude:tax' })).toEqual(['claude:tax#1']);
    // "guiding" is only in an assistant reply; "deduct" only in a question.
    expect(await ids('guiding ', { role: 'human' })).toEqual([]);
    expect(await ids('guiding ', { role: 'assistant' })).toEqual(['claude:tax#1']);
    expect(await ids('deduct ', { role: 'assistant' })).toEqual([]);
  });

  it('searches abandoned branches and hidden thinking only when asked', async () => {
    expect(await ids('metres ')).toEqual([]);
    expect(await ids('metres ', { includeBranches: true })).toEqual(['chatgpt:kayak#1*']);
    expect(await ids('exclusive ')).toEqual([]);
    expect(await ids('exclusive ', { includeHidden: true })).toEqual(['claude:tax#0']);
  });

  it('returns the same results after compaction merges the segments', async () => {
    const queries = ['kayak ', 'running total ', 'home off', '"running total"', 'paddle '];
    const before = await Promise.all(queries.map((q) => ids(q)));
    const segmentsOf = async (): Promise<Map<string, number>> => {
      const counts = new Map<string, number>();
      // The title log (part `titles`) is not the keyword index's to merge: it folds itself (title-index.ts).
      for (const [part] of await db.searchIndex.toCollection().primaryKeys()) if (part !== 'titles') counts.set(part, (counts.get(part) ?? 0) + 1);
      return counts;
    };
    expect(Math.max(...(await segmentsOf()).values())).toBeGreaterThan(1);
    const { partsMerged } = await compactSearchIndex(db);
    expect(partsMerged).toBeGreaterThan(0);
    // Every part is one row now (a group written by one batch only may stay a group row until the next).
    expect(Math.max(...(await segmentsOf()).values())).toBe(1);
    expect(await Promise.all(queries.map((q) => ids(q)))).toEqual(before);
  });
});

describe('natural questions', () => {
  it('rank by the rare words, whatever the stopwords around them', async () => {
    expect((await ids('What paddle length did they suggest for my kayak?'))[0]).toBe('chatgpt:kayak#1');
    // "receipts" is in one exchange; the many stopwords of the question must not pull longer exchanges above it.
    expect((await ids('what was it that I had to keep the receipts for in the end?'))[0]).toBe('claude:tax#0');
    const response = await search.search('what was it that I had to keep the receipts for in the end?');
    expect(response.matchedAll).toBe(true);
    expect(response.results[0]?.snippet.ranges.map(([s, e]) => response.results[0]?.snippet.text.slice(s, e))).toEqual(['Keep receipts']);
  });

  it('ignore German, French and Spanish stopwords the same way', async () => {
    expect((await ids('Wie kann ich mein home office als freelancer absetzen?'))[0]).toBe('claude:tax#0');
    expect((await ids("Qu'est-ce que je dois savoir sur le cumulative sum ?"))[0]).toBe('gemini:sql#1');
    expect((await ids('¿Cómo se hace un running total en SQL?'))[0]).toBe('gemini:sql#0');
  });

  it('ignore Italian, Portuguese and Dutch stopwords the same way', async () => {
    expect((await ids('Come si fa un running total in SQL?'))[0]).toBe('gemini:sql#0');
    expect((await ids('Como posso deduzir o meu home office como freelancer?'))[0]).toBe('claude:tax#0');
    expect((await ids('Hoe lang moet de paddle zijn voor een sea kayak?'))[0]).toBe('chatgpt:kayak#1');
  });

  it('still search a query made only of stopwords', async () => {
    expect((await ids('what about my ')).length).toBeGreaterThan(0);
    // Each language's list knows its own stopwords, so such a query in any of them takes this same path.
    for (const query of ['was ist das', "qu'est-ce que c'est", 'que es lo que', 'che cosa è', 'o que é isso', 'wat is het', 'what is it']) {
      const words = terms(query);
      expect({ query, all: words.every((word) => queryStopwords(words).has(word)) }).toEqual({ query, all: true });
    }
  });

  it('search the closest indexed words for a typo, and say so', async () => {
    const response = await search.search('paddel lenght ');
    expect(response.corrections).toEqual([
      { word: 'paddel', to: ['paddle'] },
      { word: 'lenght', to: ['length'] },
    ]);
    expect(response.results[0]?.conversationId).toBe('chatgpt:kayak');
    // A word being typed that matches nothing does not empty the results either.
    expect((await ids('home office zqxj')).slice(0, 1)).toEqual(['claude:tax#0']);
  });

  it('fall back to the words of a quoted phrase no exchange holds, and say so', async () => {
    const response = await search.search('what did I ask in "Sea kayak paddling" about the paddle?');
    expect(response.missedPhrases).toEqual([['sea', 'kayak', 'paddling']]);
    expect(response.results[0]?.conversationId).toBe('chatgpt:kayak');
    // A quoted conversation title is found as a phrase: the title holds it.
    const title = await search.search('what did I ask in "Sea kayak rolling" about the paddle?');
    expect(title.missedPhrases).toEqual([]);
    expect(title.results[0]?.conversationId).toBe('chatgpt:kayak');
    const exact = await search.search('what did I say about "hip snaps"?');
    expect(exact.missedPhrases).toEqual([]);
    expect(exact.results.map((r) => r.ordinal)).toEqual([0]);
  });
});

describe('snippets', () => {
  it('marks matched words with ranges into the snippet text, never HTML', async () => {
    const response = await search.search('window functions ');
    const snippet = response.results[0]!.snippet;
    expect(snippet.ranges.map(([s, e]) => snippet.text.slice(s, e))).toEqual(['window functions']);
    expect(snippet.text).not.toContain('<');
  });

  it('centres long texts on the densest matches', () => {
    const filler = 'lorem ipsum dolor sit amet '.repeat(40);
    const text = `${filler}the kayak roll needs a kayak and a roll ${filler}`;
    const snippet = makeSnippet({ assistant: text }, { words: new Set(['kayak', 'roll']), prefixes: [], phrases: [] }, 120);
    expect(snippet.cutStart && snippet.cutEnd).toBe(true);
    expect(snippet.ranges.map(([s, e]) => snippet.text.slice(s, e))).toEqual(['kayak roll', 'kayak', 'roll']);
  });

  it('shows plain text: no markdown syntax, no citation markers', () => {
    const text = '## Plan\n**Step 4: blur the face** with the `gaussian` filter【13†source】, see [the docs](https://x.y)【4:0†guide.pdf】.\n- keep a copy\ue200cite\ue202turn0search1\ue201';
    const snippet = makeSnippet({ assistant: text }, { words: new Set(['blur', 'face']), prefixes: [], phrases: [] });
    expect(snippet.text).toBe('Plan\nStep 4: blur the face with the gaussian filter, see the docs.\nkeep a copy');
    expect(snippet.ranges.map(([s, e]) => snippet.text.slice(s, e))).toEqual(['blur', 'face']);
    expect(stripCitations('Paris【3†source】 is big')).toBe('Paris is big');
    // Underscores inside words and lone asterisks are not markdown.
    expect(plainText('snake_case_name and 2 * 3 * 4')).toBe('snake_case_name and 2 * 3 * 4');
  });

  it('highlights prefixes and phrases in a whole text for the reader', () => {
    const text = 'A running total, then total running.';
    const ranges = matchRanges(text, { words: new Set(), prefixes: [], phrases: [['running', 'total']] });
    expect(ranges.map(([s, e]) => text.slice(s, e))).toEqual(['running total']);
    expect(matchRanges(text, { words: new Set(), prefixes: ['tot'], phrases: [] }).length).toBe(2);
  });
});

/** A second, independent ranking: exchanges ordered by how many query words appear in the human's question. */
class QuestionOverlapSource implements ResultSource {
  readonly id = 'vector:test-overlap';
  constructor(private readonly database: VaultDatabase) {}
  async search(query: string, _filters: SearchFilters, limit: number): Promise<RankedHit[]> {
    const words = new Set(tokenize(query).map((t) => t.term));
    const nodes = await this.database.nodes.all();
    return nodes
      .map((node) => ({ nodeId: node.id, score: tokenize(node.human.text).filter((t) => words.has(t.term)).length }))
      .filter((hit) => hit.score > 0)
      .sort((x, y) => y.score - x.score)
      .slice(0, limit);
  }
}

/** A semantic source with no signal at all: every exchange in a seeded random order. */
class NoiseSource implements ResultSource {
  readonly id = 'vector:test-noise';
  constructor(private readonly database: VaultDatabase, private readonly seed: number) {}
  async search(_query: string, _filters: SearchFilters, limit: number): Promise<RankedHit[]> {
    const random = seededRandom(this.seed);
    const nodes = await this.database.nodes.all();
    return nodes
      .map((node) => ({ nodeId: node.id, score: random() }))
      .sort((x, y) => y.score - x.score)
      .slice(0, limit);
  }
}

describe('fusion', () => {
  it('keeps keyword order in hybrid mode when the semantic signal is noise or absent', async () => {
    const queries = ['kayak ', 'What paddle length did they suggest for my kayak?', 'running total ', 'home office receipts?'];
    const keywordOrder = await Promise.all(queries.map((q) => search.search(q).then((r) => r.results.map((x) => x.nodeId))));
    for (const seed of [1, 2, 3]) {
      const unregister = search.registerSource(new NoiseSource(db, seed));
      for (const [i, q] of queries.entries()) {
        const hybrid = (await search.search(q, { mode: 'hybrid' })).results.map((x) => x.nodeId);
        // Keyword hits keep their order; noise may only add exchanges the words did not find, below the first.
        expect(hybrid[0]).toBe(keywordOrder[i]?.[0]);
        expect(hybrid.filter((id) => keywordOrder[i]?.includes(id))).toEqual(keywordOrder[i]);
      }
      unregister();
    }
    const keyword: RankedHit[] = [{ nodeId: 'a', score: 3 }, { nodeId: 'b', score: 2.9 }, { nodeId: 'c', score: 0.3 }];
    expect(keywordAnchoredFusion(keyword, [[]], 0.5).map((h) => h.nodeId)).toEqual(['a', 'b', 'c']);
    // Meaning adds what the words missed: above weak keyword hits when the words found little of the query.
    const semantic: RankedHit[] = [{ nodeId: 'z', score: 0.9 }, { nodeId: 'a', score: 0.5 }];
    expect(keywordAnchoredFusion(keyword, [semantic], 0.4).map((h) => h.nodeId)).toEqual(['a', 'b', 'z', 'c']);
    expect(keywordAnchoredFusion(keyword, [semantic], 0).map((h) => h.nodeId)).toEqual(['a', 'b', 'c', 'z']);
  });


  it('reciprocal rank fusion rewards agreement between sources', () => {
    const a: RankedHit[] = [{ nodeId: 'x', score: 9 }, { nodeId: 'y', score: 5 }, { nodeId: 'z', score: 1 }];
    const b: RankedHit[] = [{ nodeId: 'y', score: 0.9 }, { nodeId: 'z', score: 0.8 }];
    const fused = reciprocalRankFusion([a, b]);
    // x is first in one list only; y and z are found by both.
    expect(fused.map((h) => h.nodeId)).toEqual(['y', 'z', 'x']);
    expect(fused.map((h) => h.ranks)).toEqual([[2, 1], [3, 2], [1, undefined]]);
  });

  it('semantic and hybrid modes use registered sources, and say when none exists', async () => {
    const none = await search.search('kayak ', { mode: 'semantic' });
    expect(none.unavailable).toEqual(['semantic']);
    expect(none.results).toEqual([]);

    const unregister = search.registerSource(new QuestionOverlapSource(db));
    const semantic = await search.search('paddle length', { mode: 'semantic' });
    expect(semantic.results[0]?.ranks).toEqual({ 'vector:test-overlap': 1 });
    expect(semantic.results[0]?.conversationTitle).toBe('Sea kayak rolling');
    expect((await search.search('deduct ')).results[0]?.conversationTitle).toBe('Freelancer taxes');
    const hybrid = await search.search('kayak ', { mode: 'hybrid' });
    expect(hybrid.unavailable).toEqual([]);
    expect(hybrid.results.some((r) => r.ranks['keyword'] !== undefined && r.ranks['vector:test-overlap'] !== undefined)).toBe(true);
    // Filters apply to every source's hits, after fusion.
    const filtered = await search.search('kayak ', { mode: 'hybrid', filters: { providers: ['claude'] } });
    expect(new Set(filtered.results.map((r) => r.provider))).toEqual(new Set(['claude']));
    unregister();
    expect(search.hasSemantic()).toBe(false);
  });
});
