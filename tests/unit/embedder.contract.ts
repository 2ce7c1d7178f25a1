/**
 * The one contract every Embedder keeps (remote service, on-device model). Run by a .test.ts per implementation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder, EmbedProgress } from '../../shared/embed/embedder';
import { cosine } from '../../shared/embed/vector-math';
import { AppError } from '../../shared/errors';

export interface EmbedderUnderTest {
  readonly embedder: Embedder;
  readonly close?: () => Promise<void>;
}

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

export function embedderContract(name: string, make: () => Promise<EmbedderUnderTest>): void {
  describe(`Embedder contract: ${name}`, () => {
    let subject: EmbedderUnderTest;
    beforeAll(async () => {
      subject = await make();
    });
    afterAll(async () => {
      await subject.close?.();
    });

    it('gives one unit-length vector per text, in order, of the announced dimension', async () => {
      const { embedder } = subject;
      const texts = ['how do i feed my cat', 'leaving my job for a new career', 'python compile error in my code'];
      const vectors = await embedder.embed(texts);
      expect(vectors).toHaveLength(3);
      expect(embedder.dimensions).toBeGreaterThan(0);
      for (const v of vectors) {
        expect(v).toBeInstanceOf(Float32Array);
        expect(v.length).toBe(embedder.dimensions);
        expect(norm(v)).toBeCloseTo(1, 4);
      }
      // Order is kept: the same text embedded alone gives the same vector as in position 2 of the batch.
      const [alone] = await embedder.embed([texts[1]!]);
      expect(cosine(alone!, vectors[1]!)).toBeCloseTo(1, 5);
      expect(cosine(alone!, vectors[0]!)).toBeLessThan(0.999);
    });

    it('places texts that share words nearer each other than unrelated texts', async () => {
      const [a, b, c] = await subject.embedder.embed(['feed my cat food', 'cat food for my kitten', 'rust compile error in typescript code']);
      expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!));
      expect(cosine(a!, b!)).toBeGreaterThan(cosine(b!, c!));
    });

    it('embeds nothing for no texts, and accepts texts longer than its window', async () => {
      expect(await subject.embedder.embed([])).toEqual([]);
      const long = 'garden tomato water plant '.repeat(Math.ceil((subject.embedder.maxInputChars * 2) / 26));
      const [v] = await subject.embedder.embed([long]);
      expect(norm(v!)).toBeCloseTo(1, 4);
    });

    it('reports progress up to the total', async () => {
      const seen: EmbedProgress[] = [];
      const texts = Array.from({ length: 40 }, (_, i) => `book ${i} read travel trip ${i % 7}`);
      const vectors = await subject.embedder.embed(texts, { onProgress: (p) => seen.push(p) });
      expect(vectors).toHaveLength(40);
      expect(seen.at(-1)).toEqual({ done: 40, total: 40 });
      expect(seen.every((p, i) => i === 0 || p.done >= seen[i - 1]!.done)).toBe(true);
    });

    it('stops with EMBEDDER_CANCELLED when cancelled', async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(subject.embedder.embed(['cat'], { signal: controller.signal })).rejects.toMatchObject({ code: 'EMBEDDER_CANCELLED' });
      const midway = new AbortController();
      const texts = Array.from({ length: 400 }, (_, i) => `dog walk ${i}`);
      const run = subject.embedder.embed(texts, {
        signal: midway.signal,
        onProgress: () => midway.abort(),
      });
      await expect(run).rejects.toBeInstanceOf(AppError);
      await expect(run).rejects.toMatchObject({ code: 'EMBEDDER_CANCELLED' });
    });

    it('keeps a stable model id', () => {
      expect(subject.embedder.modelId).toMatch(/\S/);
    });
  });
}
