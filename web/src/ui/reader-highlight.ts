/**
 * The words of the search that opened a conversation, highlighted inside the exchange it pointed at. Uses the CSS
 * Custom Highlight API (no change to the rendered markdown, nothing to undo); where it is missing nothing is marked.
 *
 *   highlightSearchWords(root: HTMLElement, query: string): number   // ranges marked
 *   clearSearchHighlight(): void
 */
import { parseQuery } from '../search/query';
import { tokenize } from '../search/tokenize';

const NAME = 'search-words';

function registry(): HighlightRegistry | null {
  return typeof CSS !== 'undefined' && 'highlights' in CSS && typeof Highlight !== 'undefined' ? CSS.highlights : null;
}

export function highlightSearchWords(root: HTMLElement, query: string): number {
  const highlights = registry();
  if (!highlights) return 0;
  const parsed = parseQuery(query);
  const whole = new Set([...parsed.terms, ...parsed.phrases.flat()]);
  const prefix = parsed.prefix;
  const ranges: Range[] = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    const text = node.textContent ?? '';
    // Same words as the search index: case and accents do not matter, the word being typed matches as a prefix.
    for (const token of tokenize(text)) {
      if (!whole.has(token.term) && !(prefix !== null && token.term.startsWith(prefix))) continue;
      const range = document.createRange();
      range.setStart(node, token.start);
      range.setEnd(node, token.end);
      ranges.push(range);
    }
  }
  highlights.set(NAME, new Highlight(...ranges));
  return ranges.length;
}

export function clearSearchHighlight(): void {
  registry()?.delete(NAME);
}
