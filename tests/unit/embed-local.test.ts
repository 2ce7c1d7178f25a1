import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TransformersEmbedder } from '../../web/src/embed/transformers-embedder';
import { buildTinyModel, handEmbed, TINY_HIDDEN, TINY_MODEL_ID } from '../support/tiny-model';
import { embedderContract } from './embedder.contract';

const root = mkdtempSync(join(tmpdir(), 'cogzy-tiny-model-'));
buildTinyModel(root);
const make = (): TransformersEmbedder =>
  new TransformersEmbedder({ model: TINY_MODEL_ID, device: 'cpu', dtype: 'fp32', allowRemoteModels: false, localModelPath: `${root}/`, batchSize: 8 });

afterAll(() => rmSync(root, { recursive: true, force: true }));

embedderContract('local transformers.js (tiny model, onnxruntime-node)', () => Promise.resolve({ embedder: make() }));

describe('local transformers.js embedder', () => {
  it('returns exactly the hand-computed mean-pooled, normalised vectors', async () => {
    const embedder = make();
    const texts = ['How do I feed my cat?', 'Leaving my job', 'zebra quantum cats', 'bake bread with flour and sugar in the oven'];
    const vectors = await embedder.embed(texts);
    expect(embedder.dimensions).toBe(TINY_HIDDEN);
    texts.forEach((text, i) => {
      const expected = handEmbed(text);
      for (let d = 0; d < TINY_HIDDEN; d += 1) expect(vectors[i]![d]).toBeCloseTo(expected[d]!, 5);
    });
  });

  it('explains a model that cannot be found, without reaching the network', async () => {
    const embedder = new TransformersEmbedder({ model: 'nobody/missing-model', device: 'cpu', dtype: 'fp32', allowRemoteModels: false, localModelPath: `${root}/` });
    await expect(embedder.embed(['cat'])).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
