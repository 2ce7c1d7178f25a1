import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildContext, buildPrompt, contextTokens, estimateTokens, offlineAnswer, type ExcerptCandidate } from '../../shared/chat/context';
import { parseChatEvent, SseSplitter } from '../../shared/chat/sse';

const excerpt = (i: number, overrides: Partial<ExcerptCandidate> = {}): ExcerptCandidate => ({
  nodeId: `n${i}`,
  conversationId: `chatgpt:c${i}`,
  title: `Chat ${i}`,
  createdAt: Date.UTC(2024, 0, i + 1),
  question: `question ${i} `.repeat(5),
  answer: `answer ${i} `.repeat(10),
  deleted: false,
  ...overrides,
});

describe('buildContext', () => {
  it('respects the token budget exactly: never over, and every skipped item would not have fitted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 200 }), { maxLength: 6 }),
        fc.array(fc.string({ minLength: 1, maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.tuple(fc.string({ maxLength: 400 }), fc.string({ maxLength: 2000 })), { maxLength: 12 }),
        fc.integer({ min: 0, max: 1500 }),
        (memories, turns, excerpts, budget) => {
          const items = buildContext({
            memories: memories.map((text, i) => ({ id: `m${i}`, text })),
            turns: turns.map((text, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', text })),
            excerpts: excerpts.map(([q, a], i) => excerpt(i, { question: q, answer: a })),
            budgetTokens: budget,
          });
          const used = contextTokens(items);
          expect(used).toBeLessThanOrEqual(budget);
          for (const item of items) expect(item.tokens).toBe(estimateTokens(item.text));
          // Greedy completeness: a memory left out must be larger than what was left when it was considered.
          const takenMemories = new Set(items.filter((i) => i.kind === 'memory').map((i) => i.key));
          let left = budget;
          for (const [i, text] of memories.entries()) {
            const t = estimateTokens(text);
            if (takenMemories.has(`memory:m${i}`)) left -= t;
            else if (text.trim() !== '') expect(t).toBeGreaterThan(left);
          }
        },
      ),
    );
  });

  it('fills the budget to the token when items fit exactly', () => {
    const items = buildContext({ memories: [{ id: 'a', text: 'x'.repeat(40) }], turns: [], excerpts: [], budgetTokens: 10 });
    expect(contextTokens(items)).toBe(10);
    expect(buildContext({ memories: [{ id: 'a', text: 'x'.repeat(41) }], turns: [], excerpts: [], budgetTokens: 10 })).toEqual([]);
  });

  it('never includes deleted nodes, nor ones the person removed, nor the same node twice', () => {
    const items = buildContext({
      memories: [],
      turns: [],
      excerpts: [excerpt(1), excerpt(2, { deleted: true }), excerpt(3), excerpt(1), excerpt(4)],
      budgetTokens: 10_000,
      removed: new Set(['node:n3']),
    });
    expect(items.map((i) => (i.kind === 'excerpt' ? [i.nodeId, i.n] : null))).toEqual([
      ['n1', 1],
      ['n4', 2],
    ]);
  });

  it('ranks memories first, then recent turns, then excerpts; when space is short memories win', () => {
    const memory = { id: 'm', text: 'I am vegetarian and live in Lyon.' };
    const all = buildContext({ memories: [memory], turns: [{ role: 'user', text: 'earlier question' }, { role: 'assistant', text: 'earlier answer' }], excerpts: [excerpt(1)], budgetTokens: 10_000 });
    expect(all.map((i) => i.kind)).toEqual(['memory', 'turn', 'turn', 'excerpt']);
    const tight = buildContext({ memories: [memory], turns: [], excerpts: [excerpt(1)], budgetTokens: estimateTokens(memory.text) });
    expect(tight.map((i) => i.kind)).toEqual(['memory']);
    // With room for only the newest turn, the newest is kept.
    const turns = buildContext({ memories: [], turns: [{ role: 'user', text: 'a'.repeat(40) }, { role: 'assistant', text: 'b'.repeat(40) }], excerpts: [], budgetTokens: 10 });
    expect(turns.map((i) => (i.kind === 'turn' ? i.text[0] : ''))).toEqual(['b']);
  });

  it('caps one long exchange so it cannot take the whole budget', () => {
    const [item] = buildContext({ memories: [], turns: [], excerpts: [excerpt(1, { answer: 'z'.repeat(50_000) })], budgetTokens: 100_000 });
    expect(item?.text.length).toBeLessThanOrEqual(1200);
  });
});

describe('buildPrompt and offlineAnswer', () => {
  const items = buildContext({
    memories: [{ id: 'm', text: 'My dog is called Pixel.' }],
    turns: [{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'hello' }],
    excerpts: [excerpt(1, { question: 'How do I feed a sourdough starter?', answer: 'Feed it flour and water daily.', title: 'Bread (baking)' })],
    budgetTokens: 5_000,
  });

  it('sends memories and numbered excerpts in the system message, then the turns, then the question', () => {
    const messages = buildPrompt(items, 'What about the starter?');
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[0]?.content).toContain('- My dog is called Pixel.');
    expect(messages[0]?.content).toMatch(/^\[1\] \(Bread  baking , 2024-01-02\) Q: How do I feed a sourdough starter\? A: Feed it flour and water daily\.$/m);
    expect(messages.at(-1)).toEqual({ role: 'user', content: 'What about the starter?' });
  });

  it('offline: quotes the best excerpts with citations and says no model was used', () => {
    const answer = offlineAnswer(items);
    expect(answer).toContain('No model was used');
    expect(answer).toContain('[1]');
    expect(answer).toContain('> Q: How do I feed a sourdough starter?');
    expect(offlineAnswer([])).toContain('Nothing in your vault matches');
  });
});

describe('chat stream parsing', () => {
  it('splits SSE across chunk boundaries and CRLF, and reads deltas, errors and the end', () => {
    const splitter = new SseSplitter();
    const stream = 'data: {"choices":[{"delta":{"content":"Hel"}}]}\r\n\r\ndata: {"choices":[{"delta":{"content":"lo"}}]}\n\n: keep-alive\n\ndata: {"error":{"code":"X","message":"m"}}\n\ndata: [DONE]';
    const events: string[] = [];
    for (let i = 0; i < stream.length; i += 7) events.push(...splitter.push(stream.slice(i, i + 7)));
    events.push(...splitter.end());
    expect(events.map(parseChatEvent)).toEqual([
      { kind: 'delta', text: 'Hel' },
      { kind: 'delta', text: 'lo' },
      { kind: 'error', code: 'X', message: 'm' },
      { kind: 'done' },
    ]);
    expect(parseChatEvent('not json')).toEqual({ kind: 'other' });
  });
});
