// The rows of a keyword index segment, byte for byte: buildSegment (interned terms, flat typed arrays, its own
// scan and sort, made fast for imports) must write exactly what a plain implementation writes from terms() with
// Maps, a default string sort and one varint at a time; and exactly what main wrote before that work (a digest).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../shared/model';
import { bucketOf, buildSegment, FIELD_CODES, GROUPS, sortedTermIds, type IndexDoc, type SearchIndexRow } from '../../web/src/search/keyword-index';
import { terms } from '../../web/src/search/tokenize';
import { SEPARATORS, TRICKY, segmentDigest as digest, trickyCorpus as corpus } from '../support/segment-corpus';

function varint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}

/** The segment's rows as the format describes them (keyword-index.ts, PostingsRow and LexiconRow), plainly. */
function referenceSegment(docs: readonly IndexDoc[], seg: number): { rows: SearchIndexRow[]; lengths: [number, number, number] } {
  // key `<field><term>` -> its postings in document order, each with the term's positions in the field.
  const lists = new Map<string, { docId: number; positions: number[] }[]>();
  const df = new Map<string, number>();
  const lengths: [number, number, number] = [0, 0, 0];
  for (const doc of docs) {
    const seen = new Set<string>();
    FIELD_CODES.forEach((field, slot) => {
      const words = terms(slot === 0 ? doc.human : slot === 1 ? doc.assistant : doc.hidden);
      lengths[slot as 0 | 1 | 2] += words.length;
      const here = new Map<string, number[]>();
      words.forEach((term, position) => {
        const positions = here.get(term);
        if (positions) positions.push(position);
        else here.set(term, [position]);
        seen.add(term);
      });
      for (const [term, positions] of here) {
        const list = lists.get(field + term);
        if (list) list.push({ docId: doc.docId, positions });
        else lists.set(field + term, [{ docId: doc.docId, positions }]);
      }
    });
    for (const term of seen) df.set(term, (df.get(term) ?? 0) + 1);
  }
  const rows: SearchIndexRow[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const keys = [...lists.keys()].filter((key) => bucketOf(key.slice(1)) % GROUPS === g).sort();
    if (keys.length === 0) continue;
    const data: number[] = [];
    const positions: number[] = [];
    const offsets: number[] = [];
    const positionOffsets: number[] = [];
    for (const key of keys) {
      offsets.push(data.length);
      positionOffsets.push(positions.length);
      const list = lists.get(key) ?? [];
      varint(data, list.length);
      let previous = 0;
      for (const posting of list) {
        varint(data, posting.docId - previous);
        varint(data, posting.positions.length);
        previous = posting.docId;
        posting.positions.forEach((position, i) => varint(positions, position - (i === 0 ? 0 : (posting.positions[i - 1] ?? 0))));
      }
    }
    offsets.push(data.length);
    positionOffsets.push(positions.length);
    rows.push({
      part: `g${g}`,
      seg,
      kind: 'postings',
      keys: keys.join('\n'),
      offsets: Uint32Array.from(offsets),
      data: Uint8Array.from(data),
      positions: Uint8Array.from(positions),
      positionOffsets: Uint32Array.from(positionOffsets),
    });
  }
  const lexicon = [...df.keys()].sort();
  rows.push({ part: 'lex', seg, kind: 'lexicon', terms: lexicon.join('\n'), df: Uint32Array.from(lexicon, (term) => df.get(term) ?? 0) });
  const conversations = [...new Set(docs.map((doc) => doc.conversationId))];
  rows.push({
    part: 'docs',
    seg,
    kind: 'docs',
    docIds: Uint32Array.from(docs, (doc) => doc.docId),
    provider: Uint8Array.from(docs, (doc) => PROVIDERS.indexOf(doc.provider)),
    createdAt: Float64Array.from(docs, (doc) => doc.createdAt ?? Number.NaN),
    active: Uint8Array.from(docs, (doc) => (doc.active ? 1 : 0)),
    lengths: Uint32Array.from(docs.flatMap((doc) => FIELD_CODES.map((_, slot) => terms(slot === 0 ? doc.human : slot === 1 ? doc.assistant : doc.hidden).length))),
    conversations,
    conversationOf: Uint32Array.from(docs, (doc) => conversations.indexOf(doc.conversationId)),
    nodeIds: docs.map((doc) => doc.nodeId).join('\n'),
  });
  return { rows, lengths };
}

describe('segment rows', () => {
  it('are those of the plain reference, on a seeded corpus of 1,500 documents and one of 12,000 words', () => {
    const docs = corpus(11, 1500);
    // A long reply: more tokens in one field than any buffer starts with.
    const long = corpus(12, 1, 1501)[0] as IndexDoc;
    docs.push({ ...long, assistant: corpus(13, 60).map((doc) => doc.assistant).join(' ') });
    const built = buildSegment(docs, 5);
    expect(built.rows.length).toBeGreaterThan(GROUPS);
    expect(built).toStrictEqual(referenceSegment(docs, 5));
  });

  it('are what main wrote before the faster build (3a256ce), by digest', () => {
    // MAIN_DIGEST (below: how it was obtained) is main's buildSegment's at 3a256ce on this corpus; the reference
    // agrees with it, so a change to both would show here.
    const docs = corpus(21, 1000, 40_001);
    const built = buildSegment(docs, 9);
    expect(digest(referenceSegment(docs, 9).rows)).toBe(digest(built.rows));
    expect(digest(built.rows)).toBe(MAIN_DIGEST);
  });

  it('are those of the plain reference for any texts made of tricky words', () => {
    const word = fc.constantFrom(...TRICKY, 'tide', 'Tide', 'a', 'b');
    const separator = fc.constantFrom(...SEPARATORS, '');
    const text = fc.array(fc.tuple(word, separator), { maxLength: 30 }).map((parts) => parts.map(([w, s]) => w + s).join(''));
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text, text), { minLength: 1, maxLength: 12 }), (texts) => {
        const docs: IndexDoc[] = texts.map(([human, assistant, hidden], i) => ({
          docId: 100 + i * 3,
          nodeId: `n${i}`,
          conversationId: `c${i % 2}`,
          provider: 'claude',
          createdAt: null,
          active: true,
          human,
          assistant,
          hidden,
        }));
        expect(buildSegment(docs, 2)).toStrictEqual(referenceSegment(docs, 2));
      }),
      { numRuns: 300 },
    );
  });
});

describe('sortedTermIds', () => {
  it('orders ids as the default string sort orders their terms', () => {
    const unit = fc.constantFrom('a', 'b', 'z', '0', 'é', 'ß', '東', '𠀋', '\uffff', 'A');
    fc.assert(
      fc.property(fc.uniqueArray(fc.array(unit, { maxLength: 8 }).map((units) => units.join('')), { maxLength: 200 }), (words) => {
        expect(Array.from(sortedTermIds(words), (id) => words[id])).toEqual([...words].sort());
      }),
      { numRuns: 300 },
    );
  });
});

// Obtained by checking out web/src/search/keyword-index.ts and tokenize.ts as they were at main 3a256ce and printing
// segmentDigest(buildSegment(trickyCorpus(21, 1000, 40_001), 9).rows) with tsx.
const MAIN_DIGEST = '760defcdcbbbc4d8c2313d58a5412938c858585b3e2b011ea3278ba394595ec1';
