/**
 * Tokenisation shared by indexing, querying and snippets, so all three agree on what a "word" is.
 *
 *   tokenize(text): Token[]            // words with their [start, end) offsets in `text`
 *   normalizeTerm(word): string        // lower case, accents removed
 *   termOf(word, ascii): string        // a scanned word's term (normalizeTerm's, without its look-ups for ASCII words)
 *   terms(text): string[]              // normalised words only (indexing)
 *   scan(text, emit(start, end, ascii)) // word boundaries only, no allocation (phrase checks)
 *   classify(codePoint): 0 | 1 | 2       // separator, word character, a word on its own (CJK)
 *   wordEnd(text, i): number             // past the word characters from i (scan's rule, for scanners of their own)
 *
 * Han, Hiragana and Katakana characters are single-character tokens (no spaces to split on); everything else is a
 * run of letters, digits and combining marks. Words longer than MAX_TERM_LENGTH (hashes, base64) are not indexed.
 */

export interface Token {
  term: string;
  start: number;
  end: number;
}

export const MAX_TERM_LENGTH = 40;

const MARKS = /\p{M}/gu;
const ASCII_WORD = /^[a-z0-9]+$/;

/**
 * Terms of words beyond ASCII, by the word as written. Lower-casing, NFKD and stripping marks cost a few microseconds
 * a word, and an export repeats its words endlessly: on a multilingual export this was the index build's largest
 * cost (chromium profile of an import). Cleared when full, so it stays a few MB at most.
 */
const wideTerms = new Map<string, string>();
const WIDE_TERMS_LIMIT = 50_000;

export function normalizeTerm(word: string): string {
  const known = wideTerms.get(word);
  if (known !== undefined) return known;
  const lower = word.toLowerCase();
  if (ASCII_WORD.test(lower)) return lower;
  const term = lower.normalize('NFKD').replace(MARKS, '');
  if (wideTerms.size >= WIDE_TERMS_LIMIT) wideTerms.clear();
  wideTerms.set(word, term);
  return term;
}

/** A scanned word's term: an ASCII word is letters and digits only, so lower case is its whole normal form. */
export function termOf(word: string, ascii: boolean): string {
  return ascii ? word.toLowerCase() : normalizeTerm(word);
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
const SINGLE_CHAR_WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/**
 * 0 = separator, 1 = word character, 2 = a word on its own (CJK); worked out once per code point above ASCII and
 * kept as kind + 1 (0: not yet) in a table for the Basic Multilingual Plane (64 KB), in a map beyond it.
 */
const bmpClasses = new Uint8Array(0x10000);
const astralClasses = new Map<number, number>();

function classOf(codePoint: number): number {
  const char = String.fromCodePoint(codePoint);
  return SINGLE_CHAR_WORD.test(char) ? 2 : WORD_CHAR.test(char) ? 1 : 0;
}

/** 0 = separator, 1 = word character, 2 = a word on its own (CJK), as scan() classifies code points. */
export function classify(codePoint: number): number {
  if (codePoint < 128) return (codePoint >= 48 && codePoint <= 57) || (codePoint >= 65 && codePoint <= 90) || (codePoint >= 97 && codePoint <= 122) ? 1 : 0;
  if (codePoint < 0x10000) {
    const known = bmpClasses[codePoint] as number;
    if (known !== 0) return known - 1;
    const kind = classOf(codePoint);
    bmpClasses[codePoint] = kind + 1;
    return kind;
  }
  let kind = astralClasses.get(codePoint);
  if (kind === undefined) {
    kind = classOf(codePoint);
    astralClasses.set(codePoint, kind);
  }
  return kind;
}

/**
 * Calls `emit(start, end, ascii)` for every word (`ascii`: the word is plain ASCII, so its term has the same
 * length). A hand-written scan: a Unicode-class regex over the whole text cost more than everything else in
 * building the index.
 */
export function scan(text: string, emit: (start: number, end: number, ascii: boolean) => void): void {
  let start = -1;
  let ascii = true;
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    const codePoint = code >= 0xd800 && code <= 0xdbff ? (text.codePointAt(i) ?? code) : code;
    const width = codePoint > 0xffff ? 2 : 1;
    const kind = classify(codePoint);
    if (kind === 1) {
      if (start < 0) {
        start = i;
        ascii = true;
      }
      if (codePoint >= 128) ascii = false;
    } else {
      if (start >= 0) {
        emit(start, i, ascii);
        start = -1;
      }
      if (kind === 2) emit(i, i + width, false);
    }
    i += width;
  }
  if (start >= 0) emit(start, text.length, ascii);
}

/** The index past the run of word characters (class 1) starting at `i` (`i` itself when text[i] is none). */
export function wordEnd(text: string, i: number): number {
  let at = i;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    const codePoint = code >= 0xd800 && code <= 0xdbff ? (text.codePointAt(at) ?? code) : code;
    if (classify(codePoint) !== 1) break;
    at += codePoint > 0xffff ? 2 : 1;
  }
  return at;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  scan(text, (start, end, ascii) => {
    if (end - start > MAX_TERM_LENGTH) return;
    const term = termOf(text.slice(start, end), ascii);
    if (term.length === 0) return;
    tokens.push({ term, start, end });
  });
  return tokens;
}

export function terms(text: string): string[] {
  const out: string[] = [];
  scan(text, (start, end, ascii) => {
    if (end - start > MAX_TERM_LENGTH) return;
    const term = termOf(text.slice(start, end), ascii);
    if (term.length > 0) out.push(term);
  });
  return out;
}
