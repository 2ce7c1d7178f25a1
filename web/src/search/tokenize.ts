/**
 * Tokenisation shared by indexing, querying and snippets, so all three agree on what a "word" is.
 *
 *   tokenize(text): Token[]            // words with their [start, end) offsets in `text`
 *   normalizeTerm(word): string        // lower case, accents removed
 *   terms(text): string[]              // normalised words only (indexing)
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

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}/gu;
const ASCII_WORD = /^[a-z0-9]+$/;

export function normalizeTerm(word: string): string {
  const lower = word.toLowerCase();
  if (ASCII_WORD.test(lower)) return lower;
  return lower.normalize('NFKD').replace(MARKS, '');
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    if (word.length > MAX_TERM_LENGTH) continue;
    const term = normalizeTerm(word);
    if (term.length === 0) continue;
    tokens.push({ term, start: match.index, end: match.index + word.length });
  }
  return tokens;
}

export function terms(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    if (word.length > MAX_TERM_LENGTH) continue;
    const term = normalizeTerm(word);
    if (term.length > 0) out.push(term);
  }
  return out;
}
