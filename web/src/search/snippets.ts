/**
 * Highlighted snippets as data: text plus match ranges, never HTML, so the UI escapes and marks them itself.
 *
 *   matchRanges(text: string, spec: MatchSpec): Array<[start, end]>     // every match in a whole text (reader)
 *   makeSnippet(texts: SnippetTexts, spec: MatchSpec, maxLength?): Snippet
 *   matchSpecFor(query: ParsedQuery, expansions: string[]): MatchSpec
 */
import type { ParsedQuery } from './query';
import { plainText } from './display-text';
import { MAX_TERM_LENGTH, normalizeTerm, scan, tokenize, type Token } from './tokenize';

export interface MatchSpec {
  /** Whole words to mark (normalised). */
  words: ReadonlySet<string>;
  /** Word prefixes to mark (normalised). */
  prefixes: readonly string[];
  phrases: readonly (readonly string[])[];
}

export type SnippetField = 'human' | 'assistant' | 'hidden';

export interface Snippet {
  field: SnippetField;
  text: string;
  /** [start, end) offsets into `text`, ascending, non-overlapping. */
  ranges: Array<[number, number]>;
  /** True when `text` starts / ends inside the field's text (the UI shows an ellipsis). */
  cutStart: boolean;
  cutEnd: boolean;
}

export type SnippetTexts = Partial<Record<SnippetField, string>>;

export function matchSpecFor(query: ParsedQuery, expansions: readonly string[] = []): MatchSpec {
  return { words: new Set([...query.terms, ...expansions]), prefixes: query.prefix ? [query.prefix] : [], phrases: query.phrases };
}

function isMatch(token: Token, spec: MatchSpec): boolean {
  if (spec.words.has(token.term)) return true;
  // A plain loop: this runs for every word of every shown text, and a closure per word showed in profiles.
  for (const prefix of spec.prefixes) if (token.term.startsWith(prefix)) return true;
  return false;
}

export function matchRanges(text: string, spec: MatchSpec): Array<[number, number]> {
  const tokens = tokenize(text);
  const marked = new Uint8Array(tokens.length);
  tokens.forEach((token, i) => {
    if (isMatch(token, spec)) marked[i] = 1;
  });
  for (const phrase of spec.phrases) {
    for (const start of phraseStarts(tokens, phrase)) for (let k = 0; k < phrase.length; k++) marked[start + k] = 1;
  }
  const ranges: Array<[number, number]> = [];
  tokens.forEach((token, i) => {
    if (!marked[i]) return;
    const last = ranges[ranges.length - 1];
    // Join adjacent marked words of a phrase into one range so the highlight reads as one.
    if (last && i > 0 && marked[i - 1] && /^\s*$/u.test(text.slice(last[1], token.start))) last[1] = token.end;
    else ranges.push([token.start, token.end]);
  });
  return ranges;
}

/** Indexes of tokens where `phrase` starts. */
export function phraseStarts(tokens: readonly Token[], phrase: readonly string[]): number[] {
  const starts: number[] = [];
  outer: for (let i = 0; i + phrase.length <= tokens.length; i++) {
    for (let k = 0; k < phrase.length; k++) if (tokens[i + k]?.term !== phrase[k]) continue outer;
    starts.push(i);
  }
  return starts;
}

/**
 * Whether the words of `phrase` occur next to each other, in order, in `text` (same words as `tokenize`). Run on
 * hundreds of candidate texts per phrase query, so it allocates no tokens and only normalises words that could
 * be a phrase word: an ASCII word's term has the word's length, so other lengths cannot match.
 */
export function containsPhrase(text: string, phrase: readonly string[]): boolean {
  const n = phrase.length;
  const last = phrase[n - 1];
  if (last === undefined) return false;
  const lengths = new Set(phrase.map((word) => word.length));
  // The last n terms, '' standing for a word that is no phrase word (terms are never empty).
  const recent = new Array<string>(n).fill('');
  let seen = 0;
  let found = false;
  scan(text, (start, end, ascii) => {
    if (found || end - start > MAX_TERM_LENGTH) return;
    let term = '';
    if (!ascii || lengths.has(end - start)) {
      term = normalizeTerm(text.slice(start, end));
      if (term.length === 0) return;
    }
    recent[seen % n] = term;
    seen++;
    if (term !== last || seen < n) return;
    for (let k = 0; k < n; k++) if (recent[(seen - n + k) % n] !== phrase[k]) return;
    found = true;
  });
  return found;
}

/**
 * The window of `maxLength` characters with the most matches, from the field that matches best, in plain text
 * (markdown syntax and citation markers removed: see display-text.ts).
 */
export function makeSnippet(texts: SnippetTexts, spec: MatchSpec, maxLength = 220): Snippet {
  let best: { field: SnippetField; text: string; ranges: Array<[number, number]> } | null = null;
  for (const field of ['human', 'assistant', 'hidden'] as const) {
    const raw = texts[field];
    if (!raw) continue;
    const text = plainText(raw);
    const ranges = matchRanges(text, spec);
    if (!best || ranges.length > best.ranges.length) best = { field, text, ranges };
  }
  if (!best) return { field: 'human', text: '', ranges: [], cutStart: false, cutEnd: false };
  const { field, text, ranges } = best;
  if (text.length <= maxLength) return { field, text, ranges, cutStart: false, cutEnd: false };

  // Slide a window over the ranges and keep the start that covers the most of them.
  let bestStart = ranges[0]?.[0] ?? 0;
  let bestCount = 0;
  let j = 0;
  for (let i = 0; i < ranges.length; i++) {
    const start = ranges[i]?.[0] ?? 0;
    while (j < ranges.length && (ranges[j]?.[1] ?? 0) <= start + maxLength) j++;
    if (j - i > bestCount) {
      bestCount = j - i;
      bestStart = start;
    }
  }
  // Show a little context before the first match, starting at a word boundary.
  let start = Math.max(0, bestStart - Math.floor(maxLength / 5));
  if (start > 0) {
    const space = text.lastIndexOf(' ', start);
    start = space >= 0 && bestStart - space < maxLength / 2 ? space + 1 : start;
  }
  let end = Math.min(text.length, start + maxLength);
  if (end < text.length) {
    const space = text.lastIndexOf(' ', end);
    if (space > start + maxLength / 2) end = space;
  }
  const window = text.slice(start, end);
  const inWindow = ranges
    .filter(([s, e]) => s >= start && e <= end)
    .map(([s, e]): [number, number] => [s - start, e - start]);
  return { field, text: window, ranges: inWindow, cutStart: start > 0, cutEnd: end < text.length };
}
