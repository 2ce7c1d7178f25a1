/**
 * Query syntax of the search box: words (ranked by BM25: see keyword-search.ts for how many must match),
 * "quoted phrases" (words next to each other, in order) and prefix matching on the last word while the person is
 * still typing it.
 *
 *   parseQuery(input: string): ParsedQuery
 */
import { terms } from './tokenize';
import { appendAll } from '../../../shared/arrays';

export interface ParsedQuery {
  /** Whole words outside quotes (normalised, de-duplicated), excluding the prefix; a one-word quote is one too. */
  terms: string[];
  /** The last word when the input does not end in a space or quote: matched as a prefix. */
  prefix: string | null;
  /** Quoted phrases of two or more words. */
  phrases: string[][];
}

export function parseQuery(input: string): ParsedQuery {
  const phrases: string[][] = [];
  const required = new Set<string>();
  const free: string[] = [];
  let rest = '';
  let inQuote = false;
  let current = '';
  for (const char of input) {
    if (char === '"') {
      if (inQuote) addQuoted(current, phrases, required);
      else rest += ' ';
      inQuote = !inQuote;
      current = '';
      continue;
    }
    if (inQuote) current += char;
    else rest += char;
  }
  // An unclosed quote is a phrase being typed: treat what follows it as the phrase.
  if (inQuote) addQuoted(current, phrases, required);

  appendAll(free, terms(rest));
  let prefix: string | null = null;
  const endsInWord = !inQuote && input.length > 0 && !/[\s"]$/u.test(input);
  if (endsInWord && free.length > 0 && terms(input.slice(-1)).length > 0) prefix = free.pop() ?? null;
  for (const term of free) required.add(term);
  if (prefix !== null && required.has(prefix)) prefix = null;
  return { terms: [...required], prefix, phrases };
}

function addQuoted(text: string, phrases: string[][], required: Set<string>): void {
  const words = terms(text);
  if (words.length === 1 && words[0] !== undefined) required.add(words[0]);
  else if (words.length > 1) phrases.push(words);
}

export function isEmptyQuery(query: ParsedQuery): boolean {
  return query.terms.length === 0 && query.prefix === null && query.phrases.length === 0;
}
