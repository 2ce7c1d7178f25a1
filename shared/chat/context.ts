/**
 * What an ask-memory question sends: the context builder (saved memories first, then the recent turns of this chat,
 * then vault excerpts by rank, all within a token budget), the prompt built from it, and the answer composed without
 * a model (offline mode). Pure: the caller loads candidates (search, Dexie) and passes them in.
 */
import type { ChatMessage } from './sse';

/** A cheap, deterministic token estimate (about 4 characters a token in English): budgets are approximate anyway. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Longest excerpt of one exchange: one long exchange must not take the whole budget. */
export const MAX_EXCERPT_CHARS = 1_200;

export interface MemoryCandidate {
  id: string;
  text: string;
}

export interface ExcerptCandidate {
  nodeId: string;
  conversationId: string;
  title: string;
  createdAt: number | null;
  question: string;
  answer: string;
  /** True when the node was deleted (or is missing) by the time the context is built. */
  deleted: boolean;
}

export interface TurnCandidate {
  role: 'user' | 'assistant';
  text: string;
}

export type ContextItem =
  | { kind: 'memory'; key: string; text: string; tokens: number }
  | { kind: 'turn'; key: string; role: 'user' | 'assistant'; text: string; tokens: number }
  | { kind: 'excerpt'; key: string; n: number; nodeId: string; conversationId: string; title: string; createdAt: number | null; text: string; tokens: number };

export interface ContextInput {
  memories: readonly MemoryCandidate[];
  /** Oldest first, as the chat shows them. */
  turns: readonly TurnCandidate[];
  /** Best first (the search ranking). */
  excerpts: readonly ExcerptCandidate[];
  budgetTokens: number;
  /** Keys the person removed from the preview. */
  removed?: ReadonlySet<string>;
}

function excerptText(e: ExcerptCandidate): string {
  const text = `Q: ${e.question.trim()}\nA: ${e.answer.trim()}`;
  return text.length > MAX_EXCERPT_CHARS ? `${text.slice(0, MAX_EXCERPT_CHARS - 1)}…` : text;
}

/**
 * Fills the budget in priority order: every memory (in the given order), then recent turns newest first, then
 * excerpts best first. An item that does not fit whole is skipped and smaller ones after it may still fit, so the
 * total never exceeds `budgetTokens`. Deleted nodes and removed keys never enter. Excerpts are numbered [1..n] in
 * the order they are sent; turns come back oldest first.
 */
export function buildContext(input: ContextInput): ContextItem[] {
  const removed = input.removed ?? new Set<string>();
  let left = input.budgetTokens;
  const take = (tokens: number): boolean => {
    if (tokens > left) return false;
    left -= tokens;
    return true;
  };
  const memories: ContextItem[] = [];
  for (const m of input.memories) {
    const key = `memory:${m.id}`;
    const tokens = estimateTokens(m.text);
    if (!removed.has(key) && m.text.trim() !== '' && take(tokens)) memories.push({ kind: 'memory', key, text: m.text, tokens });
  }
  const turns: ContextItem[] = [];
  for (let i = input.turns.length - 1; i >= 0; i -= 1) {
    const t = input.turns[i];
    if (t === undefined) continue;
    const key = `turn:${i}`;
    const tokens = estimateTokens(t.text);
    if (!removed.has(key) && take(tokens)) turns.unshift({ kind: 'turn', key, role: t.role, text: t.text, tokens });
  }
  const excerpts: ContextItem[] = [];
  const seen = new Set<string>();
  for (const e of input.excerpts) {
    const key = `node:${e.nodeId}`;
    if (e.deleted || seen.has(e.nodeId) || removed.has(key)) continue;
    seen.add(e.nodeId);
    const text = excerptText(e);
    const tokens = estimateTokens(text);
    if (take(tokens)) {
      excerpts.push({ kind: 'excerpt', key, n: excerpts.length + 1, nodeId: e.nodeId, conversationId: e.conversationId, title: e.title, createdAt: e.createdAt, text, tokens });
    }
  }
  return [...memories, ...turns, ...excerpts];
}

export function contextTokens(items: readonly ContextItem[]): number {
  return items.reduce((n, item) => n + item.tokens, 0);
}

const INSTRUCTIONS =
  'You are Cogzy, answering from the person\u2019s own AI chat history. Use the saved memories and the numbered ' +
  'excerpts below; cite an excerpt you use as [n]. If they do not answer the question, say so plainly.';

function day(ms: number | null): string {
  return ms === null ? 'undated' : new Date(ms).toISOString().slice(0, 10);
}

/** The messages sent to the model: instructions with memories and excerpts, the recent turns, the question. */
export function buildPrompt(items: readonly ContextItem[], question: string): ChatMessage[] {
  const memories = items.flatMap((i) => (i.kind === 'memory' ? [`- ${i.text}`] : []));
  const excerpts = items.flatMap((i) => (i.kind === 'excerpt' ? [`[${i.n}] (${i.title.replace(/[()\n]/g, ' ')}, ${day(i.createdAt)}) ${i.text.replace(/\n/g, ' ')}`] : []));
  const system = [INSTRUCTIONS, memories.length > 0 ? `Saved memories:\n${memories.join('\n')}` : '', excerpts.length > 0 ? `Excerpts:\n${excerpts.join('\n')}` : 'Excerpts: none found.']
    .filter((s) => s !== '')
    .join('\n\n');
  const turns: ChatMessage[] = items.flatMap((i) => (i.kind === 'turn' ? [{ role: i.role, content: i.text }] : []));
  return [{ role: 'system', content: system }, ...turns, { role: 'user', content: question }];
}

/** The offline answer: the best excerpts quoted with their citations, and a note that no model was used. */
export function offlineAnswer(items: readonly ContextItem[], maxExcerpts = 3): string {
  const excerpts = items.flatMap((i) => (i.kind === 'excerpt' ? [i] : [])).slice(0, maxExcerpts);
  const note = '_No model was used: these are the passages from your vault that best match your question._';
  if (excerpts.length === 0) return `${note}\n\nNothing in your vault matches this question yet.`;
  const quotes = excerpts.map((e) => `**${e.title}** (${day(e.createdAt)}) [${e.n}]\n\n> ${e.text.replace(/\n/g, '\n> ')}`);
  return `${note}\n\n${quotes.join('\n\n')}`;
}
