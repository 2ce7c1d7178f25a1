import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/embed/random';
import { cosine } from '../../shared/embed/vector-math';
import { RemoteEmbedder, type RemoteEmbedderConfig } from '../../web/src/embed/remote-embedder';
import { hashedEmbedding, startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { embedderContract } from './embedder.contract';

const fastBackoff = { backoff: { baseMs: 5, maxMs: 100 }, random: seededRandom(3) };

embedderContract('remote OpenAI-compatible (local stand-in server)', async () => {
  const server = await startOpenAiServer({ latencyMs: 2, apiKey: 'sk-test' });
  return {
    embedder: new RemoteEmbedder({ baseUrl: server.url, model: 'stand-in-embed', apiKey: 'sk-test', batchSize: 8, concurrency: 3, maxInputTokens: 200 }, fastBackoff),
    close: () => server.close(),
  };
});

describe('remote embedder pool', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer({ apiKey: 'sk-test', seed: 42 });
  });
  afterAll(() => server.close());
  afterEach(() => server.configure({ rate429: 0, rate500: 0, rateHang: 0, latencyMs: 0, latencyJitterMs: 0 }));
  const embedder = (config: Partial<RemoteEmbedderConfig> = {}): RemoteEmbedder =>
    new RemoteEmbedder({ baseUrl: server.url, model: 'stand-in-embed', apiKey: 'sk-test', ...config }, fastBackoff);

  it('embeds every text exactly once through 429s, 500s, hangs and slow answers', async () => {
    server.configure({ rate429: 0.1, rate500: 0.05, rateHang: 0.03, retryAfterSeconds: 0.02, latencyMs: 5, latencyJitterMs: 40 });
    server.resetStats();
    const texts = Array.from({ length: 3000 }, (_, i) => `note ${i} about topic ${i % 13} and word${i % 101}`);
    // The texts of every request the pool gave up on (its timeout fired). On a starved machine the service may have
    // answered such a request just as the client stopped waiting; only those texts may be embedded twice.
    const abandoned = new Set<string>();
    const watchingFetch: typeof fetch = (input, init) => {
      const body: unknown = JSON.parse(typeof init?.body === 'string' ? init.body : '{}');
      const inputs = typeof body === 'object' && body !== null && Array.isArray(Reflect.get(body, 'input')) ? (Reflect.get(body, 'input') as string[]) : [];
      let answered = false;
      // The timeout signal fires later even for a request that was answered: only an unanswered one counts.
      init?.signal?.addEventListener('abort', () => answered || inputs.forEach((text) => abandoned.add(text)), { once: true });
      return fetch(input, init).then(async (response) => {
        const text = await response.text();
        answered = true;
        return new Response(text, { status: response.status, headers: response.headers });
      });
    };
    const pool = new RemoteEmbedder(
      { baseUrl: server.url, model: 'stand-in-embed', apiKey: 'sk-test', batchSize: 16, concurrency: 48, timeoutMs: 2000, maxRetries: 30 },
      { ...fastBackoff, fetch: watchingFetch },
    );
    const vectors = await pool.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    texts.forEach((text, i) => expect(cosine(vectors[i]!, hashedEmbedding(text, 256))).toBeCloseTo(1, 5));
    expect(server.stats.embedded.size).toBe(texts.length);
    const twice = [...server.stats.embedded].filter(([, n]) => n > 1).map(([text]) => text);
    expect(twice.filter((text) => !abandoned.has(text))).toEqual([]);
    expect(twice.length).toBeLessThan(texts.length / 10);
    // The faults really happened, and the pool never exceeded its bound.
    expect(server.stats.byStatus.get(429) ?? 0).toBeGreaterThan(5);
    expect(server.stats.byStatus.get(500) ?? 0).toBeGreaterThan(2);
    expect(server.stats.byStatus.get(0) ?? 0).toBeGreaterThan(0);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(48);
    expect(server.stats.maxInFlight).toBeGreaterThan(8);
  });

  it('asks for the configured dimensions and tags vectors with the model', async () => {
    const e = embedder({ dimensions: 64 });
    const [v] = await e.embed(['cat food']);
    expect(v).toHaveLength(64);
    expect(e.dimensions).toBe(64);
    expect(e.modelId).toBe('remote:stand-in-embed');
  });

  it('accepts a base URL that already ends in /v1', async () => {
    const e = new RemoteEmbedder({ baseUrl: `${server.url}/v1/`, model: 'm', apiKey: 'sk-test' });
    expect(await e.embed(['cat'])).toHaveLength(1);
  });

  it('does not retry a refused API key and says to check it', async () => {
    server.resetStats();
    const e = embedder({ apiKey: 'sk-wrong' });
    await expect(e.embed(['cat'])).rejects.toMatchObject({ code: 'EMBEDDER_UNAUTHORIZED', message: expect.stringContaining('API key') as unknown });
    expect(server.stats.requests).toBe(1);
  });

  it('gives up after its retries on a service that keeps failing', async () => {
    server.configure({ rate500: 1 });
    server.resetStats();
    await expect(embedder({ maxRetries: 2 }).embed(['cat'])).rejects.toMatchObject({ code: 'EMBEDDER_UNAVAILABLE' });
    expect(server.stats.requests).toBe(3);
    server.configure({ rate500: 0, rate429: 1, retryAfterSeconds: 0 });
    await expect(embedder({ maxRetries: 1 }).embed(['cat'])).rejects.toMatchObject({ code: 'EMBEDDER_RATE_LIMITED' });
    server.configure({ rate429: 0 });
  });

  it('honours Retry-After before retrying', async () => {
    server.configure({ rate429: 1, retryAfterSeconds: 0.3 });
    const started = performance.now();
    const run = embedder({ maxRetries: 3 }).embed(['cat']);
    setTimeout(() => server.configure({ rate429: 0 }), 100);
    await run;
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('reports an unreachable service and a wrong path as different problems', async () => {
    const gone = await startOpenAiServer();
    const url = gone.url;
    await gone.close();
    await expect(new RemoteEmbedder({ baseUrl: url, model: 'm', maxRetries: 1 }, fastBackoff).embed(['cat'])).rejects.toMatchObject({ code: 'EMBEDDER_UNAVAILABLE' });
    await expect(new RemoteEmbedder({ baseUrl: `${server.url}/nope`, model: 'm', apiKey: 'sk-test' }).embed(['cat'])).rejects.toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE' });
  });

  it('rejects an answer with the wrong number of vectors', async () => {
    const lying: typeof fetch = () => Promise.resolve(new Response(JSON.stringify({ data: [{ index: 0, embedding: [1, 0] }] }), { status: 200 }));
    await expect(new RemoteEmbedder({ baseUrl: server.url, model: 'm' }, { fetch: lying }).embed(['a', 'b'])).rejects.toMatchObject({ code: 'EMBEDDER_BAD_RESPONSE' });
  });
});
