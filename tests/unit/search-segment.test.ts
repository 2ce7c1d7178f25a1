// The rows of a keyword index segment, byte for byte: buildSegment (interned terms, flat typed arrays, its own
// scan and sort, made fast for imports) must write exactly what a plain implementation writes from terms() with
// Maps, a default string sort and one varint at a time; and exactly what main wrote before that work (a digest).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSegment, GROUPS, releaseSegmentScratch, sortedTermIds, type IndexDoc } from '../../web/src/search/keyword-index';
import { referenceSegment } from '../support/segment-reference';
import { SEPARATORS, TRICKY, segmentDigest as digest, trickyCorpus as corpus } from '../support/segment-corpus';

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
    // Since then, docs rows also record each node's chunk (DocsRow.chunks): everything else is as main wrote it.
    const asBefore = built.rows.map((row) => {
      if (row.kind !== 'docs') return row;
      const { chunks: _chunks, ...rest } = row;
      return rest;
    });
    expect(digest(asBefore)).toBe(MAIN_DIGEST);
  });

  it('owe nothing to the build before, whose working arrays the next build reuses', () => {
    // A large build leaves long arrays full of its own terms, counts and postings; smaller builds after it, and one
    // of the same documents, must write what a build on fresh arrays writes.
    const large = corpus(31, 2500);
    const small = corpus(32, 40, 90_001);
    const single = corpus(33, 1, 95_001);
    releaseSegmentScratch();
    const fresh = [buildSegment(small, 3), buildSegment(single, 4)];
    releaseSegmentScratch();
    const first = buildSegment(large, 2);
    expect(buildSegment(small, 3)).toStrictEqual(fresh[0]);
    expect(buildSegment(single, 4)).toStrictEqual(fresh[1]);
    expect(buildSegment(large, 2)).toStrictEqual(first);
    expect(first).toStrictEqual(referenceSegment(large, 2));
    // The rows never share memory with the arrays kept for the next build.
    const before = structuredClone(first.rows);
    buildSegment(corpus(34, 2500, 120_001), 5);
    expect(first.rows).toStrictEqual(before);
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
          chunk: i % 3 === 0 ? 0 : 500 + i,
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
