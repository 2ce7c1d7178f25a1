import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../shared/embed/retry';
import { seededRandom } from '../../shared/embed/random';
import { Semaphore } from '../../shared/embed/pool';
import { embeddingText, makeBatches, truncateAtWord } from '../../shared/embed/text';

describe('embedding text rule', () => {
  it('joins the question and the reply with whitespace collapsed', () => {
    expect(embeddingText('  How do I\n\nfeed   my cat? ', 'Twice a day.', 1000)).toBe('How do I feed my cat?\n\nTwice a day.');
    expect(embeddingText('Only a question', '', 1000)).toBe('Only a question');
  });

  it('cuts long texts at a word, keeping most of the question', () => {
    const human = 'question '.repeat(200);
    const reply = 'answer '.repeat(200);
    const text = embeddingText(human, reply, 600);
    expect(text.length).toBeLessThanOrEqual(600);
    const [q, a] = text.split('\n\n');
    expect(q!.length).toBeGreaterThanOrEqual(340);
    expect(a!.length).toBeGreaterThan(150);
    expect(q!.endsWith('question')).toBe(true);
    expect(a!.endsWith('answer')).toBe(true);
    // A short question leaves the whole rest of the budget to the reply.
    expect(embeddingText('hi', reply, 600).length).toBeGreaterThan(590);
  });

  it('truncates a word-less string at the limit', () => {
    expect(truncateAtWord('x'.repeat(50), 10)).toBe('x'.repeat(10));
  });

  it('batches by count and by characters', () => {
    const batches = makeBatches(['aaaa', 'bb', 'cccccc', 'd', 'e', 'f'], (s) => s.length, 3, 8);
    expect(batches).toEqual([['aaaa', 'bb'], ['cccccc', 'd', 'e'], ['f']]);
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it('backs off exponentially with jitter under a ceiling', () => {
    const random = seededRandom(1);
    const policy = { baseMs: 100, maxMs: 5000 };
    const delays = Array.from({ length: 200 }, (_, i) => backoffDelay(i % 10, policy, random));
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
    expect(new Set(delays).size).toBeGreaterThan(150);
    for (let attempt = 0; attempt < 5; attempt += 1) expect(backoffDelay(attempt, policy, () => 0.999)).toBeLessThan(100 * 2 ** attempt);
  });
});

describe('semaphore', () => {
  it('never lets more than its limit run at once', async () => {
    const slots = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        slots.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 2));
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(slots.inFlight).toBe(0);
  });
});
