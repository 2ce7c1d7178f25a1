import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/embed/random';
import { nodeEmbeddingText } from '../../shared/embed/text';
import { cosine } from '../../shared/embed/vector-math';
import { vectorBlocks } from '../../web/src/db/database';
import { missingNodeIds, runEmbeddingJob } from '../../web/src/embed/embedding-job';
import { RemoteEmbedder } from '../../web/src/embed/remote-embedder';
import { VectorMatrix } from '../../web/src/vectors/vector-matrix';
import { hashedEmbedding, startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { makeNode, openOtherTab, openTestVault, putNodes } from './vector-test-nodes';

describe('embedding job', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer({ seed: 5 });
  });
  afterAll(() => server.close());
  const embedder = (model = 'stand-in-embed', dimensions = 48): RemoteEmbedder =>
    new RemoteEmbedder({ baseUrl: server.url, model, dimensions, batchSize: 10, concurrency: 6 }, { backoff: { baseMs: 5, maxMs: 50 }, random: seededRandom(1) });
  const nodes = Array.from({ length: 300 }, (_, i) => makeNode(`question ${i} about cats and ${i % 17}`, `answer number ${i}`, `chatgpt:c${i % 30}`, i));

  it('stores one vector per node in packed blocks, each text embedded once', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes);
    server.resetStats();
    const seen: number[] = [];
    const result = await runEmbeddingJob({ db, embedder: embedder(), chunkSize: 64, onProgress: (p) => seen.push(p.embedded) });
    expect(result).toMatchObject({ total: 300, embedded: 300, alreadyDone: 0, dim: 48, modelId: 'remote:stand-in-embed' });
    const blocks = await vectorBlocks(db, 'remote:stand-in-embed', 48);
    expect(blocks).toHaveLength(5);
    expect(new Set(blocks.flatMap((b) => b.nodeIds)).size).toBe(300);
    expect([...server.stats.embedded.values()].every((n) => n === 1)).toBe(true);
    expect(server.stats.embedded.size).toBe(300);
    expect(seen.at(-1)).toBe(300);
    // The stored vector is the one the service gave for that node's text.
    const matrix = await VectorMatrix.load(db, 'remote:stand-in-embed', 48);
    const node = nodes[123]!;
    expect(cosine(matrix.vectorOf(node.id)!, hashedEmbedding(nodeEmbeddingText(node, 10_000), 48))).toBeCloseTo(1, 5);
    db.close();
  });

  it('resumes after a cancelled run with only the nodes still missing, through injected failures', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes);
    server.resetStats();
    server.configure({ rate429: 0.1, rate500: 0.05, retryAfterSeconds: 0.01, latencyMs: 2, latencyJitterMs: 10 });
    const controller = new AbortController();
    const first = runEmbeddingJob({
      db,
      embedder: embedder(),
      chunkSize: 20,
      parallelChunks: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.embedded >= 100) controller.abort();
      },
    });
    await expect(first).rejects.toMatchObject({ code: 'EMBEDDER_CANCELLED' });
    const { missing, covered } = await missingNodeIds(db, 'remote:stand-in-embed', 48);
    expect(covered).toBeGreaterThanOrEqual(100);
    expect(covered).toBeLessThan(300);
    const second = await runEmbeddingJob({ db, embedder: embedder(), chunkSize: 20 });
    expect(second.alreadyDone).toBe(covered);
    expect(second.embedded).toBe(missing.length);
    expect((await missingNodeIds(db, 'remote:stand-in-embed', 48)).missing).toEqual([]);
    const stored = (await vectorBlocks(db, 'remote:stand-in-embed', 48)).flatMap((b) => b.nodeIds);
    expect(stored).toHaveLength(300);
    // A node whose answer was thrown away by the cancel is embedded again; every other node exactly once.
    const twice = [...server.stats.embedded.values()].filter((n) => n > 1).length;
    expect(twice).toBeLessThanOrEqual(2 * 20);
    server.configure({ rate429: 0, rate500: 0, latencyMs: 0, latencyJitterMs: 0 });
    db.close();
  });

  it('re-uses vectors after a re-import and embeds only new nodes; a new model embeds everything again', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes.slice(0, 100));
    await runEmbeddingJob({ db, embedder: embedder() });
    // Re-importing a cumulative export writes the same content-hash ids again plus some new ones.
    await putNodes(db, nodes.slice(0, 150));
    server.resetStats();
    const again = await runEmbeddingJob({ db, embedder: embedder() });
    expect(again).toMatchObject({ alreadyDone: 100, embedded: 50 });
    expect(server.stats.embedded.size).toBe(50);
    const other = await runEmbeddingJob({ db, embedder: embedder('another-model', 32) });
    expect(other).toMatchObject({ alreadyDone: 0, embedded: 150, dim: 32 });
    expect(await vectorBlocks(db, 'remote:stand-in-embed', 48)).not.toHaveLength(0);
    db.close();
  });

  it('with a live matrix, counts blocks another tab stored since it loaded as done', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes.slice(0, 60));
    const matrix = await VectorMatrix.load(db, 'remote:stand-in-embed', 48);
    // Another tab (same database, no shared memory) embeds everything after this matrix was loaded.
    const other = await openOtherTab(db);
    server.resetStats();
    await runEmbeddingJob({ db: other, embedder: embedder() });
    expect(server.stats.embedded.size).toBe(60);
    server.resetStats();
    const mine = await runEmbeddingJob({ db, embedder: embedder(), matrix });
    expect(mine).toMatchObject({ alreadyDone: 60, embedded: 0 });
    expect(server.stats.embedded.size).toBe(0);
    expect(matrix.size).toBe(60);
    expect(nodes.slice(0, 60).every((n) => matrix.has(n.id))).toBe(true);
    other.close();
    db.close();
  });

  it('learns the dimension from the service when the settings leave it open', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes.slice(0, 5));
    const open = new RemoteEmbedder({ baseUrl: server.url, model: 'stand-in-embed' });
    const result = await runEmbeddingJob({ db, embedder: open });
    expect(result).toMatchObject({ dim: 256, embedded: 5 });
    db.close();
  });
});
