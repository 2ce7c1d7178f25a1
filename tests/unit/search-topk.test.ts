// The top-k path of keyword search (common words looked up for the rarer words' candidates only) must give the
// page the exhaustive scorer gives: the same exchanges in the same order with the same scores, the same total and
// the same flags, over many generated queries on a generated vault. The threshold for "common" is lowered so a
// vault of a few thousand exchanges has many common words.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import type { MemoryNode, Provider } from '../../shared/model';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { compactSearchIndex } from '../../web/src/search/keyword-index';
import { KeywordSearch, type KeywordResult, type KeywordTrace } from '../../web/src/search/keyword-search';
import type { SearchFilters } from '../../web/src/search/types';

const COMMON = (
  'the of and to a in is it you that for was on are with as i his they be at one have this from or had by not word but what some we can ' +
  'out other were all there when up use your how said an each she which do their time if will way about many then them write would like so ' +
  'these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first ' +
  'database index memory export import stream record schema python error server client request response cache token model garden recipe'
).split(' ');
const SYLLABLES = 'ka ri to mo na lu se vi pa do re fi ga zo be tu ne hi ma lo sa ku pe di ro ta ve mi no ja'.split(' ');
const PROVIDERS: Provider[] = ['chatgpt', 'claude', 'gemini', 'grok'];
const EXCHANGES = 2400;
const PER_CONVERSATION = 8;
/** Words with at least this many postings count as common here (MERGE_MIN_POSTINGS at vault scale). */
const COMMON_POSTINGS = 150;

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

class Corpus {
  readonly vocabulary: string[];
  private readonly cdf: Float64Array;

  constructor(private readonly rng: () => number) {
    const words = new Set(COMMON);
    while (words.size < 4000) {
      let w = '';
      for (let i = 0, n = 2 + Math.floor(rng() * 3); i < n; i++) w += SYLLABLES[Math.floor(rng() * SYLLABLES.length)] ?? 'ka';
      words.add(w);
    }
    this.vocabulary = [...words];
    this.cdf = new Float64Array(this.vocabulary.length);
    let sum = 0;
    for (let r = 0; r < this.vocabulary.length; r++) this.cdf[r] = sum += 1 / (r + 1) ** 1.07;
    for (let r = 0; r < this.cdf.length; r++) this.cdf[r] = (this.cdf[r] ?? 0) / sum;
  }

  word(): string {
    const x = this.rng();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cdf[mid] ?? 1) < x) lo = mid + 1;
      else hi = mid;
    }
    return this.vocabulary[lo] ?? 'the';
  }

  text(words: number): string {
    return Array.from({ length: words }, () => this.word()).join(' ');
  }
}

const rng = prng(20261201);
const corpus = new Corpus(rng);
/** Replies written, for phrases that some exchange really holds. */
const replies: string[] = [];

function batch(from: number, to: number): ImportBatch {
  const items: ImportBatch['items'] = [];
  for (let c = Math.floor(from / PER_CONVERSATION); c * PER_CONVERSATION < to; c++) {
    const provider = PROVIDERS[c % PROVIDERS.length] ?? 'chatgpt';
    const id = `${provider}:topk-${c}`;
    const nodes: MemoryNode[] = [];
    for (let k = 0; k < PER_CONVERSATION; k++) {
      const n = c * PER_CONVERSATION + k;
      nodes.push({
        schemaVersion: 1,
        id: (n + 1).toString(16).padStart(64, '0'),
        kind: 'exchange',
        provider,
        conversationId: id,
        ordinal: k,
        active: n % 23 !== 0,
        branchId: null,
        human: { text: corpus.text(8 + Math.floor(rng() * 20)), messageIds: [], createdAt: null, model: null },
        assistant: { text: reply(corpus.text(30 + Math.floor(rng() * 60))), messageIds: [], createdAt: null, model: null },
        extras: { thinking: n % 5 === 0 ? [corpus.text(15)] : [], toolCalls: [], system: [], customInstructions: [], citations: [] },
        attachments: [],
        createdAt: Date.UTC(2024, 0, 1) + n * 3_600_000,
      });
    }
    items.push({
      conversation: {
        schemaVersion: 1,
        id,
        provider,
        providerConversationId: `topk-${c}`,
        kind: 'chat',
        title: corpus.text(2 + Math.floor(rng() * 5)),
        createdAt: null,
        updatedAt: null,
        model: null,
        messageCount: PER_CONVERSATION * 2,
        nodeCount: PER_CONVERSATION,
        raw: '{}',
      },
      nodes,
      duplicates: 0,
    });
  }
  return { items, progress: { bytesRead: 1, totalBytes: 1, records: 1, conversations: items.length, nodes: 0, duplicates: 0 }, checkpoint: { records: 1 } };
}

function reply(text: string): string {
  replies.push(text);
  return text;
}

/** Two neighbouring words of a reply. */
function bigram(): string {
  const words = (replies[Math.floor(rng() * replies.length)] ?? 'the tide').split(' ');
  const at = Math.floor(rng() * (words.length - 1));
  return `${words[at] ?? 'the'} ${words[at + 1] ?? 'tide'}`;
}

/** A word typed with one letter changed (or two, for a long word). */
function typo(word: string): string {
  const at = Math.floor(rng() * word.length);
  const changed = `${word.slice(0, at)}${word[at] === 'x' ? 'q' : 'x'}${word.slice(at + 1)}`;
  return word.length >= 8 ? `${changed.slice(0, 1)}${changed.slice(2, 3)}${changed.slice(1, 2)}${changed.slice(3)}` : changed;
}

function queries(): string[] {
  let i = 0;
  const rare = (): string => corpus.vocabulary[100 + Math.floor(rng() * (i % 2 === 0 ? 600 : 3000))] ?? 'kari';
  const mid = (): string => corpus.vocabulary[40 + Math.floor(rng() * 120)] ?? 'water';
  const any = (): string => corpus.word();
  const out: string[] = [];
  for (; i < 40; i++) {
    out.push(`${rare()} ${mid()} `, `${mid()} ${mid()} `, `${any()} ${any()} ${any()} `, `${rare()} ${mid()} ${mid()} ${mid()} `);
    out.push(`${rare()} ${mid().slice(0, 2 + (i % 3))}`, `${mid()} ${any().slice(0, 3)}`, `${rare()} th`, `${mid()} wa`);
    out.push(`what did i say about the ${rare()} and ${mid()} `, `how do i ${mid()} the ${any()} ${any()}`, `the of and `, 'what is the');
    out.push(`${typo(rare())} ${mid()} `, `${mid()} ${typo(rare())} `, `"${any()} ${any()}" ${rare()} `);
    out.push(`"${bigram()}"`, `"${bigram()}" ${mid()} `, `"${bigram()}" ${rare()} `, `"${rare()} ${mid()}"`);
  }
  return out;
}

let db: VaultDatabase;
const name = `search-topk-test-${process.pid}`;

beforeAll(async () => {
  db = await openVaultDatabase({ name });
  const importId = await createImportRow(db, { fileName: 'topk.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  // Compacted segments, then one more batch still in its group rows: postings come from both kinds of row.
  const step = 400;
  for (let from = 0; from < EXCHANGES - step; from += step) await commitImportBatch(db, importId, batch(from, from + step), { parseMs: 0, now: 2 });
  await compactSearchIndex(db, { minSegments: 2 });
  await commitImportBatch(db, importId, batch(EXCHANGES - step, EXCHANGES), { parseMs: 0, now: 3 });
}, 120_000);

afterAll(async () => {
  db.close();
  await Dexie.delete(name);
});

function page(result: KeywordResult): unknown {
  return {
    hits: result.hits.map((hit) => [hit.nodeId, hit.score, hit.conversationTitle]),
    total: result.total,
    matchedAll: result.matchedAll,
    coverage: result.coverage,
    expansions: result.expansions,
    corrections: result.corrections,
    ignored: result.ignored,
    missedPhrases: result.missedPhrases,
  };
}

describe('keyword search, top-k path', () => {
  it('gives the exhaustive page (order, scores, total, flags) for generated queries, filters and limits', async () => {
    // Lookup cost 0: the path runs whenever it can prove the page (by default it also skips queries where looking the
    // candidates up would cost more than scoring everything; `usual` checks that choice gives the same page too).
    const topK = new KeywordSearch(db, { commonPostings: COMMON_POSTINGS, lookupCost: 0 });
    const usual = new KeywordSearch(db, { commonPostings: COMMON_POSTINGS });
    // The references: every posting scored, with common words merged the same way, and with no merging at all.
    const merged = new KeywordSearch(db, { commonPostings: COMMON_POSTINGS, exhaustive: true });
    const plain = new KeywordSearch(db, { exhaustive: true });
    const paths = new Map<string, number>();
    let path = '';
    topK.trace = (trace: KeywordTrace) => {
      path = trace.path;
      paths.set(trace.path, (paths.get(trace.path) ?? 0) + 1);
    };
    let phrasesByTopK = 0;
    const filterSets: SearchFilters[] = [{}, { providers: ['claude', 'grok'] }, { role: 'assistant' }, { includeHidden: true, includeBranches: true }];
    const all = queries();
    let asked = 0;
    for (const [q, query] of all.entries()) {
      const filters = filterSets[q % filterSets.length] ?? {};
      const limit = [20, 5, 50][q % 3] ?? 20;
      const expected = page(await plain.searchDetailed(query, filters, limit));
      expect(page(await merged.searchDetailed(query, filters, limit)), query).toEqual(expected);
      expect(page(await topK.searchDetailed(query, filters, limit)), query).toEqual(expected);
      if (query.includes('"') && path.startsWith('top-k')) phrasesByTopK += 1;
      expect(page(await usual.searchDetailed(query, filters, limit)), query).toEqual(expected);
      asked += 1;
    }
    expect(asked).toBe(all.length);
    // The path must really have answered a good share of them (else this test compares the exhaustive path with itself).
    expect(paths.get('top-k') ?? 0).toBeGreaterThan(all.length / 4);
    expect(paths.get('top-k phrase') ?? 0).toBeGreaterThan(0);
    expect(phrasesByTopK).toBeGreaterThan(all.filter((query) => query.includes('"')).length / 3);
  }, 300_000);
});
