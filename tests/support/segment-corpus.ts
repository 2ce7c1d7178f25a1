/**
 * A seeded corpus for the keyword index's segment tests (tests/unit/search-segment.test.ts): generated ASCII words
 * with a long tail, and words that take every path of the tokenizer and of buildSegment's interner; and a digest of
 * segment rows, to compare what two versions of the code wrote.
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../../shared/embed/random';
import { PROVIDERS } from '../../shared/model';
import type { IndexDoc, SearchIndexRow } from '../../web/src/search/keyword-index';

/** SHA-256 over every row's fields in order (strings as UTF-8, typed arrays as their type and bytes). */
export function segmentDigest(rows: readonly SearchIndexRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      hash.update(`|${name}:`);
      if (ArrayBuffer.isView(value)) hash.update(`${value.constructor.name}:`).update(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      else hash.update(JSON.stringify(value));
    }
  }
  return hash.digest('hex');
}

// Words that take every path of the tokenizer and the interner: case, accents (NFKD), ligatures, CJK (one token a
// character, astral too), math letters beyond the BMP, emoji and lone surrogates (separators), marks alone,
// apostrophes and dashes beyond ASCII, ASCII running into non-ASCII letters, digits, 40 and 41 characters.
export const TRICKY = [
  'The', 'HARBOR', 'Lántern', 'café', 'cafe', 'CAFÉ', 'ﬁle', '東京タワー', 'ひらがな', '𠀋𠀌', '𝐀𝐁c', '🙂', 'a\ud800b', '\udc00z',
  '\u0301\u0301', 'e\u0301te', 'don’t', 'well—known', 'abcé', 'Straße', 'İstanbul', 'ǅemal', 'x'.repeat(40), 'y'.repeat(41),
  'a1b2', '2026', 'ÆON', 'naïve', 'ПРИВЕТ', 'مرحبا', 'ＦＵＬＬ', '١٢٣',
];
export const SEPARATORS = [' ', ' ', ' ', ', ', '. ', '\n', '-', "'", '**', ' — ', '\t'];

/** A seeded corpus: ~20k generated ASCII words (Zipf-ish) and the tricky ones, over three fields. */
export function trickyCorpus(seed: number, count: number, firstDocId = 1): IndexDoc[] {
  const random = seededRandom(seed);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const syllables = 'ka ri to mo na lu se vi pa do re fi ga zo be tu ne hi ma lo'.split(' ');
  const vocabulary = Array.from({ length: 20_000 }, (_, i) => {
    let w = '';
    for (let n = 2 + (i % 4); n > 0; n--) w += pick(syllables);
    return i % 7 === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w;
  });
  const word = (): string => (random() < 0.08 ? pick(TRICKY) : (vocabulary[Math.floor(vocabulary.length * random() ** 3)] ?? 'ka'));
  const text = (words: number): string => Array.from({ length: words }, () => word() + pick(SEPARATORS)).join('');
  return Array.from({ length: count }, (_, i) => ({
    docId: firstDocId + i,
    nodeId: (firstDocId + i).toString(16).padStart(64, '0'),
    conversationId: `conv-${Math.floor(i / 7)}`,
    provider: pick(PROVIDERS),
    createdAt: i % 11 === 0 ? null : 1_700_000_000_000 + i * 60_000,
    active: i % 13 !== 0,
    human: text(Math.floor(random() * 40)),
    assistant: i % 17 === 0 ? '' : text(50 + Math.floor(random() * 150)),
    hidden: i % 3 === 0 ? text(Math.floor(random() * 60)) : '',
  }));
}

