/**
 * What text stands for a memory node when it is embedded, and how long texts are cut.
 *
 * The rule (also shown in Settings): a node is embedded as its human turn, a blank line, then the assistant's
 * reply, with runs of whitespace collapsed. When that is longer than the embedder's `maxInputChars`, the human turn
 * keeps up to 60% of the budget (the question is what people remember) and the reply fills the rest; each part is cut
 * at the last word boundary that fits. Nothing is chunked: one node, one vector. Remote embedders set
 * `maxInputChars` to 3 characters per token of the model window (English averages ~4, so the cut text fits);
 * local models also truncate at their tokenizer's window.
 */
import type { MemoryNode } from '../model';

const HUMAN_SHARE = 0.6;

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts `text` to at most `max` characters, at the last space when one is in the final fifth. */
export function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return space >= max * 0.8 ? cut.slice(0, space) : cut;
}

export function embeddingText(human: string, assistant: string, maxChars: number): string {
  const h = collapseWhitespace(human);
  const a = collapseWhitespace(assistant);
  const separator = h && a ? '\n\n' : '';
  if (h.length + separator.length + a.length <= maxChars) return h + separator + a;
  const room = Math.max(0, maxChars - separator.length);
  const humanBudget = Math.max(room - a.length, Math.floor(room * HUMAN_SHARE));
  const humanPart = truncateAtWord(h, humanBudget);
  const assistantPart = truncateAtWord(a, room - humanPart.length);
  return assistantPart ? humanPart + (humanPart ? separator : '') + assistantPart : humanPart;
}

export function nodeEmbeddingText(node: Pick<MemoryNode, 'human' | 'assistant'>, maxChars: number): string {
  return embeddingText(node.human.text, node.assistant?.text ?? '', maxChars);
}

/** Splits items into batches of at most `maxItems` items and `maxChars` characters (a lone long item still goes). */
export function makeBatches<T>(items: readonly T[], length: (item: T) => number, maxItems: number, maxChars: number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let chars = 0;
  for (const item of items) {
    const size = length(item);
    if (current.length > 0 && (current.length >= maxItems || chars + size > maxChars)) {
      batches.push(current);
      current = [];
      chars = 0;
    }
    current.push(item);
    chars += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
