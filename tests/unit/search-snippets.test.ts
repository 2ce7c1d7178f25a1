// Snippets of long texts are made from the part around the densest matches, not the whole text: the result must
// still be plain text from the whole, mark exactly the matching words, and find the densest place. matchRanges
// (which skips making strings of words that cannot match) must mark what a plain token-by-token check marks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainText } from '../../web/src/search/display-text';
import { makeSnippet, matchRanges, phraseStarts, type MatchSpec } from '../../web/src/search/snippets';
import { tokenize } from '../../web/src/search/tokenize';

/** matchRanges as it was written before: every token, then phrases, then adjacent marks joined. */
function reference(text: string, spec: MatchSpec): Array<[number, number]> {
  const tokens = tokenize(text);
  const marked = tokens.map((t) => spec.words.has(t.term) || spec.prefixes.some((p) => t.term.startsWith(p)));
  for (const phrase of spec.phrases) for (const start of phraseStarts(tokens, phrase)) for (let k = 0; k < phrase.length; k++) marked[start + k] = true;
  const ranges: Array<[number, number]> = [];
  tokens.forEach((token, i) => {
    if (!marked[i]) return;
    const last = ranges[ranges.length - 1];
    if (last && i > 0 && marked[i - 1] && /^\s*$/u.test(text.slice(last[1], token.start))) last[1] = token.end;
    else ranges.push([token.start, token.end]);
  });
  return ranges;
}

const WORDS = ['kayak', 'Kayak', 'KAYAK', 'roll', 'rolling', 'the', 'café', 'cafe', 'Lántern', '東京', 'x'.repeat(41), 'a1', 'tide'];
const text = fc
  .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(' ', ', ', '\n', '. ', '**', '-')), { maxLength: 40 })
  .map((parts) => parts.map(([w, g]) => w + g).join(''));
const spec: fc.Arbitrary<MatchSpec> = fc.record({
  words: fc.subarray(['kayak', 'roll', 'cafe', 'lantern', '東', 'a1']).map((w) => new Set(w)),
  prefixes: fc.subarray(['rol', 'ka', 'caf']),
  phrases: fc.subarray([['the', 'kayak'], ['roll', 'the'], ['cafe', 'tide']]),
});

describe('matchRanges', () => {
  it('marks what a token-by-token check marks, on any text', () => {
    fc.assert(
      fc.property(text, spec, (t, s) => {
        expect(matchRanges(t, s)).toEqual(reference(t, s));
      }),
      { numRuns: 1500 },
    );
  });
});

describe('snippets of long texts', () => {
  const filler = (n: number): string => Array.from({ length: n }, (_, i) => `## Part ${i}\n**lorem ipsum** dolor sit amet, [link](https://x.y/${i}) consectetur.\n`).join('');

  it('shows the densest matches of a long markdown text, cut on both sides, as plain text', () => {
    const raw = `${filler(60)}- the kayak roll needs a **kayak** and a roll\n${filler(5)}kayak once more\n${filler(60)}`;
    expect(raw.length).toBeGreaterThan(8000);
    const snippet = makeSnippet({ assistant: raw }, { words: new Set(['kayak', 'roll']), prefixes: [], phrases: [] }, 120);
    expect(snippet.cutStart && snippet.cutEnd).toBe(true);
    expect(snippet.ranges.map(([s, e]) => snippet.text.slice(s, e))).toEqual(['kayak roll', 'kayak', 'roll']);
    expect(plainText(raw)).toContain(snippet.text);
    expect(snippet.text).not.toContain('**');
  });

  it('chooses the part of a long text by its plain text, where markdown no longer takes room (found by the property below)', () => {
    // On the raw text, "kayak**kayak**kayak" counts three matches in little room, so the part around it won, every
    // time it repeats; made plain it is one word, and the snippet held 9 matched words where the whole text's held 27.
    const x = 'x'.repeat(41);
    const raw = `kayak kayak \nkayak kayak kayak kayak \nkayak kayak kayak kayak kayak \nkayak kayak \nkayak kayak kayak \n\n\nkayak kayak kayak ${x} kayak \n\n\n\nkayak kayak, kayak, \nkayak. kayak kayak 東京 kayak ${x} \nkayak kayak kayak kayak kayak ${x} kayak \nkayak \nkayak kayak kayak kayak kayak kayak kayak kayak kayak \nkayak kayak \nkayak ${x} kayak kayak kayak kayak kayak kayak kayak kayak \nkayak kayak ${x} kayak kayak kayak kayak kayak \nkayak kayak kayak ${x} kayak kayak kayak kayak kayak \n\nkayak kayak ${x} ${x} kayak \nkayak kayak kayak kayak kayak kayak kayak kayak kayak \n\nkayak kayak kayak kayak kayak kayak kayak ${x} kayak kayak \nkayak kayak kayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak kayak kayak kayak kayak kayak \n${x} kayak kayak kayak ${x} \n\nkayak. kayak kayak**kayak**kayak Lántern kayak. \n${x} rolling kayak kayak. Lántern kayak kayak kayak \n\n`.repeat(3);
    const spec = { words: new Set<string>(), prefixes: ['ka'], phrases: [] };
    const matched = (snippet: { text: string; ranges: Array<[number, number]> }): number => snippet.ranges.reduce((n, [a, b]) => n + tokenize(snippet.text.slice(a, b)).length, 0);
    const snippet = makeSnippet({ assistant: raw }, spec, 220);
    expect(raw.length).toBeGreaterThan(4000);
    expect(plainText(raw)).toContain(snippet.text);
    expect(matched(snippet)).toBe(matched(makeSnippet({ assistant: raw }, spec, 220, Number.POSITIVE_INFINITY)));
  });

  it('cuts inside a long line only outside its bold, italics, code and link text (found by the property below)', () => {
    // One line of ~5,000 characters: its start is too far for the part to begin there, so the part is cut at a space;
    // that space once fell inside "**…**" and the snippet showed a "**" the whole text does not have.
    const spec = { words: new Set(['kayak']), prefixes: [], phrases: [] };
    const filler = (n: number): string => Array.from({ length: n }, (_, i) => `word${i % 7}`).join(' ');
    for (const markup of [(t: string) => `**${t}**`, (t: string) => `*${t}*`, (t: string) => `\`${t}\``, (t: string) => `[${t}](https://x.y/z)`, (t: string) => `__${t}__`]) {
      for (let shift = 0; shift < 400; shift += 23) {
        const raw = `${filler(500)} ${filler(shift / 6)} ${markup(filler(60))} ${'kayak tide '.repeat(12)}${filler(300)}`;
        expect(raw.length).toBeGreaterThan(4000);
        const snippet = makeSnippet({ assistant: raw }, spec, 220);
        expect(plainText(raw)).toContain(snippet.text);
        expect(snippet.ranges.length).toBeGreaterThan(0);
      }
    }
  });

  it('cuts a long text at the start of its first line, not inside its markdown (found by the property below)', () => {
    // The part around the densest matches began 6 characters in, inside the first "**": the snippet then showed a
    // lone "*" (and "kayak  kayak") where the whole text reads "kayakkayak".
    const raw = "kayak**kayak  kayak kayak kayak kayak kayak kayak kayak  kayak kayak rolling xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx**xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx kayak kayak kayak rolling rolling \nkayak \nkayak kayak kayak \n\n\n\nthe xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx**kayak  東京 kayak**\nkayak kayak kayak kayak kayak kayak \nkayak kayak xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx kayak kayak kayak kayak \nkayak kayak \nkayak \nkayak \n\n\n\nkayak \nkayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak kayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak kayak kayak kayak \nkayak \nkayak kayak kayak kayak kayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak kayak kayak \nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \nkayak kayak kayak kayak kayak xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx kayak kayak kayak \nkayak xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx kayak kayak kayak kayak \nkayak \nkayak \nkayak xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx kayak kayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx \nkayak kayak kayak kayak \nkayak kayak kayak kayak kayak \nkayak kayak \nkayak \nkayak kayak kayak kayak kayak kayak kayak kayak kayak \nkayak kayak kayak kayak kayak \n".repeat(3);
    const snippet = makeSnippet({ assistant: raw }, { words: new Set(), prefixes: [], phrases: [['the', 'kayak']] }, 220);
    expect(plainText(raw)).toContain(snippet.text);
    expect(snippet.text).not.toContain('*');
  });

  it('on any long text: plain text from the whole, exact marks, and as many matches as the densest window', () => {
    const longText = fc.array(fc.tuple(text, fc.constantFrom('\n', ' ', '\n\n')), { minLength: 30, maxLength: 60 }).map((parts) => parts.map(([t, g]) => t + g).join('').repeat(3));
    fc.assert(
      fc.property(longText, spec, (raw, s) => {
        if (raw.length <= 4000) return;
        const snippet = makeSnippet({ assistant: raw }, s, 220);
        const whole = plainText(raw);
        expect(whole).toContain(snippet.text);
        // Every mark is a matching word, a prefix match, or a word of a phrase (a phrase the window's edge cuts keeps
        // its inside part marked, as in a snippet of the whole text).
        const phraseWords = new Set(s.phrases.flat());
        for (const [a, b] of snippet.ranges) {
          const words = tokenize(snippet.text.slice(a, b));
          expect(words.length).toBeGreaterThan(0);
          for (const { term } of words) expect(s.words.has(term) || s.prefixes.some((p) => term.startsWith(p)) || phraseWords.has(term)).toBe(true);
        }
        // Nearly as many matched words as the snippet made from the whole text (its parts are found on the raw text, where markdown takes room).
        const matchedWords = (snip: typeof snippet): number => snip.ranges.reduce((n, [a, b]) => n + tokenize(snip.text.slice(a, b)).length, 0);
        const fromWhole = makeSnippet({ assistant: raw }, s, 220, Number.POSITIVE_INFINITY);
        expect(matchedWords(snippet)).toBeGreaterThanOrEqual(Math.floor(0.6 * matchedWords(fromWhole)) - 2);
      }),
      // Unseeded again: while the part was chosen on the raw text alone, about one case in 300-400 fell below this
      // bound; choosing among a few parts by their plain windows, and cutting long lines only outside inline
      // markup, passed 120,000 runs (12 seeds of 10,000).
      { numRuns: 60 },
    );
  });
});
