/**
 * Highlighted snippets as data: text plus match ranges, never HTML, so the UI escapes and marks them itself.
 *
 *   matchRanges(text: string, spec: MatchSpec): Array<[start, end]>     // every match in a whole text (reader)
 *   makeSnippet(texts: SnippetTexts, spec: MatchSpec, maxLength?): Snippet
 *   matchSpecFor(query: ParsedQuery, expansions: string[]): MatchSpec
 */
import type { ParsedQuery } from './query';
import { plainText } from './display-text';
import { MAX_TERM_LENGTH, scan, termOf, type Token } from './tokenize';

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

/** A-Z lower-cased in place. */
function lowerAscii(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** Whether the ASCII word text[start, end) lower-cased starts with `prefix` (compared in place, no string made). */
function asciiStartsWith(text: string, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (lowerAscii(text.charCodeAt(start + k)) !== prefix.charCodeAt(k)) return false;
  return true;
}

/**
 * The words of `text` as `tokenize` finds them, with their terms only where the spec could use them: an ASCII
 * word's term has the word's length, so words of other lengths (most of a text) never become strings. '' stands
 * for such a word. Marked: the word is a match (a spec word or prefix).
 */
function specTokens(text: string, spec: MatchSpec): { starts: number[]; ends: number[]; terms: string[]; marked: Uint8Array } {
  const lengths = new Set<number>();
  for (const word of spec.words) lengths.add(word.length);
  for (const phrase of spec.phrases) for (const word of phrase) lengths.add(word.length);
  const starts: number[] = [];
  const ends: number[] = [];
  const termsOf: string[] = [];
  const matches: number[] = [];
  scan(text, (start, end, ascii) => {
    if (end - start > MAX_TERM_LENGTH) return;
    let term = '';
    let match = false;
    if (!ascii || lengths.has(end - start)) {
      term = termOf(text.slice(start, end), ascii);
      if (term.length === 0) return;
      match = spec.words.has(term);
      if (!match) for (const prefix of spec.prefixes) if (term.startsWith(prefix)) match = true;
    } else {
      for (const prefix of spec.prefixes) if (asciiStartsWith(text, start, end, prefix)) match = true;
    }
    if (match) matches.push(termsOf.length);
    starts.push(start);
    ends.push(end);
    termsOf.push(term);
  });
  const marked = new Uint8Array(termsOf.length);
  for (const i of matches) marked[i] = 1;
  return { starts, ends, terms: termsOf, marked };
}

export function matchRanges(text: string, spec: MatchSpec): Array<[number, number]> {
  const { starts, ends, terms: termsOf, marked } = specTokens(text, spec);
  for (const phrase of spec.phrases) {
    const n = phrase.length;
    outer: for (let i = 0; i + n <= termsOf.length; i++) {
      for (let k = 0; k < n; k++) if (termsOf[i + k] !== phrase[k]) continue outer;
      for (let k = 0; k < n; k++) marked[i + k] = 1;
    }
  }
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < termsOf.length; i++) {
    if (!marked[i]) continue;
    const start = starts[i] ?? 0;
    const end = ends[i] ?? 0;
    const last = ranges[ranges.length - 1];
    // Join adjacent marked words of a phrase into one range so the highlight reads as one.
    if (last && i > 0 && marked[i - 1] && /^\s*$/u.test(text.slice(last[1], start))) last[1] = end;
    else ranges.push([start, end]);
  }
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
      term = termOf(text.slice(start, end), ascii);
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

/** Texts longer than this are cut around their matches before a snippet is made of them. */
const LONG_TEXT = 4000;

/**
 * The window of `maxLength` characters with the most matches, from the field that matches best, in plain text
 * (markdown syntax and citation markers removed: see display-text.ts).
 * `longText`: texts longer than this are cut around their matches first (tests compare with the whole text).
 */
export function makeSnippet(texts: SnippetTexts, spec: MatchSpec, maxLength = 220, longText = LONG_TEXT): Snippet {
  let best: { field: SnippetField; text: string; ranges: Array<[number, number]>; before: boolean; after: boolean } | null = null;
  for (const field of ['human', 'assistant', 'hidden'] as const) {
    const raw = texts[field];
    if (!raw) continue;
    if (raw.length > longText) {
      // A long text is reduced first to the part around its densest matches: markdown and word matching then run
      // on a few times the snippet's length, not on the whole of a long reply. The densest window is the plain
      // text's, not the raw text's (markdown and citation markers take room there), so a few places are each cut,
      // made plain and windowed, and the window with the most matches wins.
      let bestWindow: Snippet | null = null;
      for (const part of around(raw, spec, maxLength)) {
        const text = plainText(part.text);
        const snippet = windowOf(field, text, matchRanges(text, spec), part.before, part.after, maxLength);
        if (!bestWindow || denser(snippet.ranges, bestWindow.ranges)) bestWindow = snippet;
      }
      // Compared with the other fields on the window's matches (a short field's are all of its matches).
      if (bestWindow && (!best || bestWindow.ranges.length > best.ranges.length)) {
        best = { field, text: bestWindow.text, ranges: bestWindow.ranges, before: bestWindow.cutStart, after: bestWindow.cutEnd };
      }
      continue;
    }
    const text = plainText(raw);
    const ranges = matchRanges(text, spec);
    if (!best || ranges.length > best.ranges.length) best = { field, text, ranges, before: false, after: false };
  }
  if (!best) return { field: 'human', text: '', ranges: [], cutStart: false, cutEnd: false };
  return windowOf(best.field, best.text, best.ranges, best.before, best.after, maxLength);
}

/** More ranges, or as many covering more characters (a run of matched words joins into one range). */
function denser(a: readonly (readonly [number, number])[], b: readonly (readonly [number, number])[]): boolean {
  if (a.length !== b.length) return a.length > b.length;
  const covered = (ranges: readonly (readonly [number, number])[]): number => ranges.reduce((n, [s, e]) => n + e - s, 0);
  return covered(a) > covered(b);
}

/** The window of `maxLength` characters of `text` holding the most of its match ranges, from a word boundary. */
function windowOf(field: SnippetField, text: string, ranges: Array<[number, number]>, before: boolean, after: boolean, maxLength: number): Snippet {
  if (text.length <= maxLength) return { field, text, ranges, cutStart: before, cutEnd: after };
  // Slide a window over the ranges and keep the start that covers the most of them.
  const bestStart = densestStart(ranges, maxLength);
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
  return { field, text: window, ranges: inWindow, cutStart: before || start > 0, cutEnd: after || end < text.length };
}

/** How many places of a long text `around` offers (the densest windows on the raw text, of two widths). */
const AROUND_CANDIDATES = 6;

/**
 * Parts of a long raw text around its densest matches (on the raw text: the raw text's densest windows of one and
 * two snippet lengths, none overlapping another of its width), each `maxLength` before the window and twice that
 * after it, cut at line ends where there are some nearby so the markdown of whole lines is removed as in the whole
 * text. `before` / `after`: text was cut away there.
 */
function around(raw: string, spec: MatchSpec, maxLength: number): { text: string; before: boolean; after: boolean }[] {
  const ranges = matchRanges(raw, spec);
  const starts = densestStarts(ranges, maxLength, AROUND_CANDIDATES);
  // A wider window's place is tried too unless one already tried lies near it (the parts would nearly coincide).
  for (const start of densestStarts(ranges, 2 * maxLength, AROUND_CANDIDATES)) if (starts.every((other) => Math.abs(other - start) >= maxLength / 2)) starts.push(start);
  return starts.map((start) => cutAround(raw, start, maxLength));
}

/** `raw` from `maxLength` before `bestStart` to `2 * maxLength` after it, widened to line starts and ends nearby. */
function cutAround(raw: string, bestStart: number, maxLength: number): { text: string; before: boolean; after: boolean } {
  let from = Math.max(0, bestStart - maxLength);
  let to = Math.min(raw.length, bestStart + 2 * maxLength);
  if (from > 0) {
    // The start of `from`'s line (0 on the first line: no newline before it, which once cut "kayak**kayak" inside
    // its "**" and left a lone "*" the whole text does not show). Inside a long line, a space outside any inline
    // markup, so the part's markdown reads as in the whole text.
    const lineStart = raw.lastIndexOf('\n', from - 1) + 1;
    if (from - lineStart < maxLength) from = lineStart;
    else from = midLineCut(raw, lineStart, from - maxLength, from, 'last', maxLength) ?? from;
  }
  if (to < raw.length) {
    // The end of `to`'s line (the text's end on its last line), or inside a long line a space outside inline markup.
    const newline = raw.indexOf('\n', to);
    const lineEnd = newline < 0 ? raw.length : newline;
    if (lineEnd - to < maxLength) to = lineEnd;
    else {
      const lineStart = raw.lastIndexOf('\n', to - 1) + 1;
      const cut = midLineCut(raw, lineStart, to, to + maxLength, 'first', maxLength);
      to = cut === null ? to : cut - 1;
    }
  }
  return { text: raw.slice(from, to), before: from > 0, after: to < raw.length };
}

/** How far (in snippet lengths) a long line is read to find where its inline markup opens and closes. */
const MARKUP_SCAN = 64;

/**
 * Where to cut a long line: just after a space where the line so far leaves no inline markup open (bold, italics,
 * code, a link's text, a citation marker), as plainText pairs them. `last`: the last such space before `hi`, at best
 * from `lo` on, else further back (the line's start at worst); `first`: the first from `lo` on (the line's end at
 * worst: its newline's index + 1). Null when the line is too long to read that far.
 */
function midLineCut(raw: string, lineStart: number, lo: number, hi: number, which: 'first' | 'last', maxLength: number): number | null {
  const limit = lineStart + MARKUP_SCAN * maxLength;
  if (hi > limit) return null;
  // What plainText would pair, followed the way its patterns pair it: an opening marker is followed by a non-space,
  // a closing one follows a non-space; code spans pair any two backticks.
  let code = false;
  let bold = false;
  let underline = false;
  let italic = false;
  let brackets = 0;
  let citations = 0;
  let lastSafe = lineStart;
  const stop = which === 'last' ? hi : Math.min(raw.length, limit);
  const space = (at: number): boolean => at < lineStart || at >= raw.length || /\s/u.test(raw[at] ?? ' ');
  const word = (at: number): boolean => at >= lineStart && at < raw.length && /\w/u.test(raw[at] ?? ' ');
  for (let i = lineStart; i < stop; i++) {
    const c = raw.charCodeAt(i);
    if (c === 10) return which === 'first' ? i + 1 : lastSafe; // the line's end
    if (c === 32) {
      if (!code && !bold && !underline && !italic && brackets === 0 && citations === 0) {
        if (which === 'last') lastSafe = i + 1;
        else if (i >= lo) return i + 1;
      }
    } else if (c === 96) code = !code;
    else if (code) continue;
    else if ((c === 42 || c === 95) && raw.charCodeAt(i + 1) === c) {
      const open = c === 42 ? bold : underline;
      const flips = open ? !space(i - 1) : !space(i + 2);
      if (flips && c === 42) bold = !bold;
      else if (flips) underline = !underline;
      i++;
    } else if (c === 42) {
      if (italic ? !space(i - 1) && !word(i + 1) : !space(i + 1) && (i === lineStart || (!word(i - 1) && raw.charCodeAt(i - 1) !== 42))) italic = !italic;
    } else if (c === 91) brackets++;
    else if (c === 93) brackets = Math.max(0, brackets - 1);
    else if (c === 0x3010) citations++;
    else if (c === 0x3011) citations = Math.max(0, citations - 1);
  }
  if (which === 'last') return lastSafe;
  return stop >= raw.length ? raw.length + 1 : null;
}

/** Each window of `maxLength` that starts at a range's start, with how many ranges it holds whole. */
function windowsOf(ranges: readonly (readonly [number, number])[], maxLength: number): { start: number; count: number }[] {
  const windows: { start: number; count: number }[] = [];
  let j = 0;
  for (let i = 0; i < ranges.length; i++) {
    const start = ranges[i]?.[0] ?? 0;
    while (j < ranges.length && (ranges[j]?.[1] ?? 0) <= start + maxLength) j++;
    windows.push({ start, count: j - i });
  }
  return windows;
}

/** The starts of the `k` windows of `maxLength` holding the most ranges, densest first, none overlapping another. */
function densestStarts(ranges: readonly (readonly [number, number])[], maxLength: number, k: number): number[] {
  const windows = windowsOf(ranges, maxLength).sort((x, y) => y.count - x.count || x.start - y.start);
  const chosen: number[] = [];
  for (const { start } of windows) {
    if (chosen.length >= k) break;
    if (chosen.every((other) => Math.abs(other - start) >= maxLength)) chosen.push(start);
  }
  return chosen.length > 0 ? chosen : [0];
}

/** Where a window of `maxLength` covering the most match ranges starts (the first range's start when none fit). */
function densestStart(ranges: readonly (readonly [number, number])[], maxLength: number): number {
  let best = { start: ranges[0]?.[0] ?? 0, count: 0 };
  for (const window of windowsOf(ranges, maxLength)) if (window.count > best.count) best = window;
  return best.start;
}
