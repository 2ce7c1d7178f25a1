import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/embed/random';
import { cosine, scanTopK, TopK } from '../../shared/embed/vector-math';
import { SearchService } from '../../web/src/search/search';
import { runEmbeddingJob } from '../../web/src/embed/embedding-job';
import { RemoteEmbedder } from '../../web/src/embed/remote-embedder';
import { VectorMatrix } from '../../web/src/vectors/vector-matrix';
import { VectorResultSource } from '../../web/src/vectors/vector-source';
import { startOpenAiServer } from '../support/openai-server';
import { makeNode, openTestVault, putNodes } from './vector-test-nodes';

function randomUnitRows(n: number, dim: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const data = Float32Array.from({ length: n * dim }, () => random() - 0.5);
  for (let r = 0; r < n; r += 1) {
    let s = 0;
    for (let d = 0; d < dim; d += 1) s += data[r * dim + d]! ** 2;
    for (let d = 0; d < dim; d += 1) data[r * dim + d] = data[r * dim + d]! / Math.sqrt(s);
  }
  return data;
}

describe('exact vector scan', () => {
  it('returns the same top-k as sorting every cosine score', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 20 }), fc.integer(), (n, k, seed) => {
        const dim = 16;
        const data = randomUnitRows(n + 1, dim, seed);
        const query = data.slice(n * dim);
        const expected = Array.from({ length: n }, (_, r) => ({ index: r, score: cosine(data.subarray(r * dim, (r + 1) * dim), query) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, k)
          .map((x) => x.index);
        expect(scanTopK(data, n, dim, query, k).map((x) => x.index)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps only the k best in a heap', () => {
    const top = new TopK(3);
    [0.1, 0.9, 0.5, 0.7, 0.2, 0.95].forEach((s, i) => top.push(i, s));
    expect(top.results().map((r) => r.index)).toEqual([5, 1, 3]);
  });
});

describe('vector matrix', () => {
  it('grows by appending, skips ids it already holds and finds a planted neighbour', () => {
    const dim = 8;
    const matrix = new VectorMatrix('m', dim, 1);
    const rows = randomUnitRows(50, dim, 9);
    const ids = Array.from({ length: 50 }, (_, i) => `n${i}`);
    expect(matrix.add(ids, rows)).toBe(50);
    expect(matrix.add(ids.slice(0, 10), rows.subarray(0, 10 * dim))).toBe(0);
    expect(matrix.size).toBe(50);
    const near = Float32Array.from(rows.subarray(17 * dim, 18 * dim), (x) => x * 3 + 0.001);
    expect(matrix.nearest(near, 1)[0]?.nodeId).toBe('n17');
    expect(matrix.moreLikeThis('n17', 5).map((n) => n.nodeId)).not.toContain('n17');
  });
});

describe('semantic search through the fusion slot', () => {
  it('finds exchanges by meaning-bearing words, offers more like this, and answers semantic mode in the search service', async () => {
    const server = await startOpenAiServer();
    try {
      const db = await openTestVault();
      const pets = [
        makeNode('my cat will not eat her food', 'try warming the wet food for your cat', 'chatgpt:pets', 0),
        makeNode('how often should a kitten visit the vet', 'a kitten sees the vet every few weeks', 'chatgpt:pets', 1),
      ];
      const work = [
        makeNode('should I quit my job for a new career', 'list what the new career offers', 'chatgpt:work', 0),
        makeNode('how to ask my boss for a higher salary', 'prepare salary data before asking your boss', 'chatgpt:work', 1),
      ];
      const code = [makeNode('python function raises a type error', 'check the function argument types in python', 'chatgpt:code', 0)];
      await putNodes(db, [...pets, ...work, ...code]);
      const embedder = new RemoteEmbedder({ baseUrl: server.url, model: 'stand-in-embed', dimensions: 512 });
      await runEmbeddingJob({ db, embedder });
      const matrix = await VectorMatrix.load(db, embedder.modelId, 512);
      const source = new VectorResultSource(matrix, embedder, db);

      const hits = await source.search('cat food', {}, 2);
      expect(hits[0]?.nodeId).toBe(pets[0]!.id);
      const requests = server.stats.requests;
      expect(await source.search('cat food', { providers: ['chatgpt'] }, 2)).toEqual(hits);
      expect(server.stats.requests).toBe(requests);
      const like = await source.moreLikeThis(work[1]!.id, 1);
      expect(like[0]?.nodeId).not.toBe(work[1]!.id);
      expect((await source.search('career job', { conversationId: 'chatgpt:pets' }, 5)).every((h) => pets.some((p) => p.id === h.nodeId))).toBe(true);

      const search = new SearchService(db);
      search.registerSource(source);
      const semantic = await search.search('salary boss', { mode: 'semantic', limit: 3 });
      expect(semantic.unavailable).toEqual([]);
      expect(semantic.results[0]?.nodeId).toBe(work[1]!.id);
      expect(semantic.results[0]?.ranks[source.id]).toBe(1);
      db.close();
    } finally {
      await server.close();
    }
  });

  it('keeps search working when the query cannot be embedded, and says why', async () => {
    const db = await openTestVault();
    const matrix = new VectorMatrix('remote:m', 8);
    matrix.add(['n1'], Float32Array.from({ length: 8 }, (_, i) => i + 1));
    const gone = await startOpenAiServer();
    const url = gone.url;
    await gone.close();
    const seen: (string | null)[] = [];
    const source = new VectorResultSource(matrix, new RemoteEmbedder({ baseUrl: url, model: 'm', dimensions: 8, maxRetries: 0 }), db, (e) => seen.push(e?.code ?? null));
    const search = new SearchService(db);
    search.registerSource(source);
    const response = await search.search('anything', { mode: 'semantic' });
    expect(response.results).toEqual([]);
    expect(seen).toEqual(['EMBEDDER_UNAVAILABLE']);
    expect(response.semanticError?.code).toBe('EMBEDDER_UNAVAILABLE');
    db.close();
  });

  it('gives up on a service that does not answer after the query deadline, not after its whole retry budget', async () => {
    const db = await openTestVault();
    const matrix = new VectorMatrix('remote:m', 8);
    matrix.add(['n1'], Float32Array.from({ length: 8 }, (_, i) => i + 1));
    const silent = await startOpenAiServer({ rateHang: 1 });
    try {
      // Left alone, this client would wait 60 s per attempt and retry 8 times; the deadline ends the search's wait.
      const source = new VectorResultSource(matrix, new RemoteEmbedder({ baseUrl: silent.url, model: 'm', dimensions: 8 }), db, undefined, 300);
      const search = new SearchService(db);
      search.registerSource(source);
      const response = await search.search('anything', { mode: 'hybrid' });
      expect(response.semanticError?.code).toBe('EMBEDDER_UNAVAILABLE');
      expect(response.semanticError?.detail).toContain('300 ms');
    } finally {
      await silent.close();
      db.close();
    }
  });

  it('refuses to compare a query from one model with vectors of another', async () => {
    const db = await openTestVault();
    const matrix = new VectorMatrix('remote:a', 8);
    expect(() => new VectorResultSource(matrix, new RemoteEmbedder({ baseUrl: 'http://127.0.0.1:9', model: 'b', dimensions: 8 }), db)).toThrow();
    expect(() => new VectorResultSource(matrix, new RemoteEmbedder({ baseUrl: 'http://127.0.0.1:9', model: 'a', dimensions: 16 }), db)).toThrow();
    db.close();
  });
});
