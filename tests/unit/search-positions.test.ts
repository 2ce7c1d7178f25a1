// Word positions in the postings: a quoted phrase checked from the index must give exactly what checking the
// text gives, for segments as an import writes them, after compaction merged them, and (by falling back to the
// text) for rows written before positions existed.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import {
  appendToSearchIndex,
  buildSegment,
  compactSearchIndex,
  FIELD_CODES,
  groupPart,
  KeywordIndexReader,
  postingsFor,
  readIndexStats,
  type FieldCode,
  type IndexDoc,
  type Postings,
  type PostingsRow,
} from '../../web/src/search/keyword-index';
import { PHRASE_NO, PHRASE_UNKNOWN, PHRASE_YES, phraseStatus, phraseStatusOf } from '../../web/src/search/phrase-positions';
import { containsPhrase } from '../../web/src/search/snippets';
import { terms } from '../../web/src/search/tokenize';

const WORDS = ['the', 'The', 'harbor', 'HARBOR', 'lantern', 'Lántern', 'café', 'cafe', 'ﬁle', '東京', 'x'.repeat(41), 'a1', 'tide', 'tide'];
const word = fc.constantFrom(...WORDS);
const gap = fc.constantFrom(' ', ', ', '. ', '\n', '-', "'");
const text = fc.array(fc.tuple(word, gap), { maxLength: 25 }).map((parts) => parts.map(([w, g]) => w + g).join(''));
const phrase = fc.array(word, { minLength: 2, maxLength: 3 }).map((ws) => terms(ws.join(' '))).filter((ws) => ws.length >= 2);

function docsOf(texts: readonly [string, string, string][], firstDocId = 1): IndexDoc[] {
  return texts.map(([human, assistant, hidden], i) => ({
    docId: firstDocId + i,
    nodeId: String(firstDocId + i),
    conversationId: `c${i % 3}`,
    provider: 'claude',
    createdAt: null,
    active: true,
    human,
    assistant,
    hidden,
  }));
}

const fieldText = (doc: IndexDoc, field: FieldCode): string => (field === 'h' ? doc.human : field === 'a' ? doc.assistant : doc.hidden);

/** What the text says: the phrase is in one of `fields` of the document. */
function fromText(doc: IndexDoc, words: readonly string[], fields: readonly FieldCode[]): number {
  return fields.some((field) => containsPhrase(fieldText(doc, field), words)) ? PHRASE_YES : PHRASE_NO;
}

/** Each word's postings by field, from segment rows (several segments: several lists per field). */
function postingsOf(rows: readonly PostingsRow[], words: readonly string[]): Map<FieldCode, Postings[]>[] {
  return words.map((w) => new Map(FIELD_CODES.map((field) => [field, rows.filter((row) => row.part === groupPart(w)).flatMap((row) => postingsFor(row, field + w) ?? [])] as const)));
}

describe('phrase matching from positions', () => {
  it('equals phrase matching from the text, over several segments and any field choice', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text, text, text), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 11 }),
        phrase,
        fc.constantFrom<FieldCode[]>(['h', 'a'], ['h'], ['a'], ['h', 'a', 'x']),
        (texts, cut, words, fields) => {
          const docs = docsOf(texts);
          const at = Math.min(cut, docs.length);
          // Two segments, as two import batches write them.
          const rows = [...buildSegment(docs.slice(0, at), 1).rows, ...buildSegment(docs.slice(at), 2).rows].filter((row): row is PostingsRow => row.kind === 'postings');
          const candidates = Uint32Array.from(docs, (doc) => doc.docId);
          const postings = postingsOf(rows, words);
          const status = phraseStatus(words, postings, fields, candidates);
          expect([...status]).toEqual(docs.map((doc) => fromText(doc, words, fields)));
          // Looked up one by one, in any order (best ranked first), the answers are the same.
          const shuffled = [...candidates].reverse().sort((x, y) => ((x * 7) % 5) - ((y * 7) % 5));
          const byDoc = new Map(docs.map((doc) => [doc.docId, fromText(doc, words, fields)]));
          expect([...phraseStatusOf(words, postings, fields, shuffled)]).toEqual(shuffled.map((doc) => byDoc.get(doc)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('answers only for the candidates asked about, skipping the others exactly', () => {
    const docs = docsOf(Array.from({ length: 40 }, (_, i): [string, string, string] => ['q', i % 3 === 0 ? 'the harbor lantern the harbor' : 'lantern the harbor tide harbor the', '']));
    const rows = buildSegment(docs, 1).rows.filter((row): row is PostingsRow => row.kind === 'postings');
    const words = ['harbor', 'lantern'];
    const every = Uint32Array.from(docs, (doc) => doc.docId);
    const some = every.filter((doc) => doc % 4 === 1);
    const status = phraseStatus(words, postingsOf(rows, words), ['a'], some);
    expect([...status]).toEqual([...some].map((doc) => ((doc - 1) % 3 === 0 ? PHRASE_YES : PHRASE_NO)));
  });

  it('says unknown for lists without positions (rows written before them), never no', () => {
    const docs = docsOf([['harbor lantern', '', ''], ['lantern harbor', '', '']]);
    const rows = buildSegment(docs, 1).rows.filter((row): row is PostingsRow => row.kind === 'postings');
    const old = rows.map(({ positions: _p, positionOffsets: _o, ...row }) => row);
    const status = phraseStatus(['harbor', 'lantern'], postingsOf(old, ['harbor', 'lantern']), ['h'], Uint32Array.from([1, 2]));
    expect([...status]).toEqual([PHRASE_UNKNOWN, PHRASE_UNKNOWN]);
    expect([...phraseStatusOf(['harbor', 'lantern'], postingsOf(old, ['harbor', 'lantern']), ['h'], [2, 1])]).toEqual([PHRASE_UNKNOWN, PHRASE_UNKNOWN]);
  });
});

describe('positions through compaction', () => {
  let db: VaultDatabase | null = null;
  const name = `search-positions-test-${process.pid}`;
  afterAll(async () => {
    db?.close();
    await Dexie.delete(name);
  });

  it('a compacted index answers phrases from positions exactly as the text does, and old rows merge without them', async () => {
    db = await openVaultDatabase({ name });
    const vault = db;
    const sample = fc.sample(fc.tuple(text, text, text), { numRuns: 120, seed: 7 });
    const docs = docsOf(sample);
    // Three batches, the middle one written as before positions existed.
    const batches = [docs.slice(0, 40), docs.slice(40, 80), docs.slice(80)];
    for (const [b, batchDocs] of batches.entries()) {
      await vault.transaction('rw', vault.searchIndex, async () => {
        const stats = await readIndexStats(vault.searchIndex);
        await appendToSearchIndex(vault.searchIndex, stats, batchDocs);
        if (b !== 1) return;
        const rows = await vault.searchIndex.where('[part+seg]').between(['g', Dexie.minKey], ['h', Dexie.minKey]).toArray();
        for (const row of rows) if (row.kind === 'postings' && row.seg === stats.nextSeg) await vault.searchIndex.put({ ...row, positions: undefined, positionOffsets: undefined });
      });
    }
    const candidates = Uint32Array.from(docs, (doc) => doc.docId);
    const phrases = fc.sample(phrase, { numRuns: 40, seed: 11 });
    const check = async (expectUnknown: boolean): Promise<void> => {
      const reader = new KeywordIndexReader(() => vault.searchIndex);
      await reader.stats();
      for (const words of phrases) {
        const postings = await Promise.all(words.map((w) => reader.postings(w, ['h', 'a', 'x'])));
        const status = phraseStatus(words, postings, ['h', 'a', 'x'], candidates);
        docs.forEach((doc, i) => {
          const truth = fromText(doc, words, ['h', 'a', 'x']);
          const got = status[i];
          // Unknown only where some list lacks positions; otherwise exactly the text's answer.
          if (got === PHRASE_UNKNOWN) expect(expectUnknown).toBe(true);
          else expect(got).toBe(truth);
        });
      }
    };
    await check(true);
    const { partsMerged } = await compactSearchIndex(vault);
    expect(partsMerged).toBeGreaterThan(0);
    await check(true);
    // The batches written with positions keep them through the merge: their documents get a definite answer.
    const reader = new KeywordIndexReader(() => vault.searchIndex);
    await reader.stats();
    let definite = 0;
    for (const words of phrases) {
      const status = phraseStatus(words, await Promise.all(words.map((w) => reader.postings(w, ['h', 'a', 'x']))), ['h', 'a', 'x'], candidates);
      status.forEach((s, i) => (s !== PHRASE_UNKNOWN && (i < 40 || i >= 80) ? (definite += 1) : undefined));
    }
    expect(definite).toBeGreaterThan(0);
  });
});
