// Dexie's liveQuery (how the service notices imports) looks for a global IndexedDB: install one before Dexie loads.
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/embed/random';
import { defaultRemote, loadEmbedderSettings, type EmbedderSettings, type LocalSettings } from '../../web/src/embed/embedder-settings';
import { SemanticService, type SemanticStatus } from '../../web/src/embed/semantic-service';
import { TransformersEmbedder } from '../../web/src/embed/transformers-embedder';
import { loadTopics } from '../../web/src/topics/topics';
import { SearchService, type ResultSource } from '../../web/src/search/search';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { buildTinyModel, TINY_HIDDEN, TINY_MODEL_ID } from '../support/tiny-model';
import { makeNode, openTestVault, putNodes } from './vector-test-nodes';

const modelRoot = mkdtempSync(join(tmpdir(), 'cogzy-tiny-service-'));
buildTinyModel(modelRoot);

function until(service: SemanticService, done: (s: SemanticStatus) => boolean): Promise<SemanticStatus> {
  return new Promise((resolve) => {
    const stop = service.subscribe((s) => {
      if (done(s)) {
        queueMicrotask(() => stop());
        resolve(s);
      }
    });
  });
}

describe('semantic service', () => {
  let server: OpenAiServer;
  beforeAll(async () => {
    server = await startOpenAiServer();
  });
  afterAll(async () => {
    await server.close();
    rmSync(modelRoot, { recursive: true, force: true });
  });

  const nodes = [
    makeNode('my cat will not eat her food', 'warm the cat food a little', 'chatgpt:pets', 0),
    makeNode('the kitten scratches the sofa', 'give the kitten a scratching post', 'chatgpt:pets', 1),
    makeNode('should I quit my job', 'think about your career first', 'chatgpt:work', 0),
    makeNode('negotiate salary with my boss', 'bring salary data to your boss', 'chatgpt:work', 1),
    makeNode('bake bread with flour', 'knead the flour dough and bake the bread', 'chatgpt:food', 0),
    makeNode('tomato soup recipe', 'simmer tomato with water and sugar', 'chatgpt:food', 1),
    makeNode('train trip to paris', 'the train to paris takes three hours', 'chatgpt:travel', 0),
  ];

  it('embeds the vault in the background, serves semantic search, follows imports and switches models', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes.slice(0, 6));
    const search = new SearchService(db);
    const service = new SemanticService({
      db,
      register: (source) => Promise.resolve(search.registerSource(source)),
      startLocal: (s) => Promise.resolve(new TransformersEmbedder({ model: s.model, device: 'cpu', dtype: 'fp32', allowRemoteModels: false, localModelPath: `${s.localModelPath ?? ''}` })),
      random: seededRandom(1),
      now: () => 5,
      importDebounceMs: 10,
    });
    const remote: EmbedderSettings = { version: 1, choice: { ...defaultRemote(server.url), model: 'stand-in-embed', dimensions: 128 } };
    const ready = until(service, (s) => s.phase === 'ready' && s.vectors === 6);
    await service.applySettings(remote);
    await ready;
    expect(await loadEmbedderSettings(db)).toEqual(remote);
    expect(search.hasSemantic()).toBe(true);
    const found = await search.search('salary boss', { mode: 'semantic', limit: 2 });
    expect(found.results[0]?.nodeId).toBe(nodes[3]!.id);
    expect((await loadTopics(db))?.nodeIds).toHaveLength(6);
    expect((await service.moreLikeThis(nodes[0]!.id, 6)).map((h) => h.nodeId)).not.toContain(nodes[0]!.id);

    // An import adds a node: it is embedded without anyone asking.
    const followed = until(service, (s) => s.phase === 'ready' && s.vectors === 7);
    await putNodes(db, [nodes[6]!]);
    await followed;

    // Another model: everything is embedded again under its own id; the old source leaves search.
    const local: EmbedderSettings = { version: 1, choice: { kind: 'local', model: TINY_MODEL_ID, localModelPath: `${modelRoot}/` } };
    const switched = until(service, (s) => s.phase === 'ready' && s.modelId === `local:${TINY_MODEL_ID}` && s.vectors === 7);
    await service.applySettings(local);
    const status = await switched;
    expect(status.dim).toBe(TINY_HIDDEN);
    expect((await search.search('bread flour', { mode: 'semantic', limit: 1 })).results[0]?.nodeId).toBe(nodes[4]!.id);

    await service.applySettings({ version: 1, choice: { kind: 'off' } });
    expect(search.hasSemantic()).toBe(false);
    service.dispose();
    db.close();
  });

  it('answers from the on-device model used before while the remote service does not answer, and says so', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes.slice(0, 6));
    const stalling = await startOpenAiServer();
    const search = new SearchService(db);
    const deps = {
      db,
      register: (source: ResultSource) => Promise.resolve(search.registerSource(source)),
      startLocal: (s: LocalSettings) => Promise.resolve(new TransformersEmbedder({ model: s.model, device: 'cpu', dtype: 'fp32', allowRemoteModels: false, localModelPath: `${s.localModelPath ?? ''}` })),
      random: seededRandom(1),
      now: () => 5,
    };
    const service = new SemanticService(deps);
    try {
      const localChoice = { kind: 'local', model: TINY_MODEL_ID, localModelPath: `${modelRoot}/` } as const;
      const localReady = until(service, (s) => s.phase === 'ready' && s.modelId === `local:${TINY_MODEL_ID}` && s.vectors === 6);
      await service.applySettings({ version: 1, choice: localChoice });
      await localReady;
      const remoteChoice = { ...defaultRemote(stalling.url), model: 'stand-in-embed', dimensions: 128 };
      const remoteReady = until(service, (s) => s.phase === 'ready' && s.modelId === 'remote:stand-in-embed' && s.vectors === 6);
      await service.applySettings({ version: 1, choice: remoteChoice });
      await remoteReady;
      // Switching away remembered the on-device choice; its vectors stay stored under their own model id.
      expect(await loadEmbedderSettings(db)).toEqual({ version: 1, choice: remoteChoice, lastLocal: localChoice });
      expect(await db.vectors.where('modelId').equals(`local:${TINY_MODEL_ID}`).count()).toBeGreaterThan(0);

      stalling.configure({ rateHang: 1 });
      const found = await search.search('bread flour oven', { mode: 'semantic', limit: 1 });
      expect(found.results[0]?.nodeId).toBe(nodes[4]!.id);
      expect(found.results[0]?.ranks).toHaveProperty(`vector:remote:stand-in-embed`);
      expect(found.semanticSubstitute).toBe(`local:${TINY_MODEL_ID}`);
      expect(found.semanticError?.code).toBe('EMBEDDER_UNAVAILABLE');
      service.dispose();

      // Restarted from the saved settings, with the on-device model files gone: the keyword fallback, no substitute claimed.
      const emptyRoot = mkdtempSync(join(tmpdir(), 'cogzy-no-model-'));
      const restarted = new SemanticService({
        ...deps,
        startLocal: (s) => Promise.resolve(new TransformersEmbedder({ model: s.model, device: 'cpu', dtype: 'fp32', allowRemoteModels: false, localModelPath: `${emptyRoot}/` })),
      });
      try {
        const ready = until(restarted, (s) => s.phase === 'ready' && s.modelId === 'remote:stand-in-embed');
        await restarted.start();
        await ready;
        const words = await search.search('bread flour', { mode: 'semantic', limit: 1 });
        expect(words.semanticSubstitute).toBeNull();
        expect(words.semanticError?.code).toBe('EMBEDDER_UNAVAILABLE');
      } finally {
        restarted.dispose();
        rmSync(emptyRoot, { recursive: true, force: true });
      }
    } finally {
      service.dispose();
      await stalling.close();
      db.close();
    }
  });

  it('reads settings saved before the remembered on-device model existed, and drops an unreadable one', async () => {
    const db = await openTestVault();
    const choice = { ...defaultRemote('https://embed.example'), dimensions: 64 };
    await db.settings.put({ key: 'embedder', value: { version: 1, choice } });
    expect(await loadEmbedderSettings(db)).toEqual({ version: 1, choice });
    await db.settings.put({ key: 'embedder', value: { version: 1, choice, lastLocal: { kind: 'local', model: '' } } });
    expect(await loadEmbedderSettings(db)).toEqual({ version: 1, choice });
    db.close();
  });

  it('says what went wrong when the service refuses the key', async () => {
    const db = await openTestVault();
    await putNodes(db, nodes.slice(0, 2));
    const keyed = await startOpenAiServer({ apiKey: 'sk-right' });
    const service = new SemanticService({
      db,
      register: () => Promise.resolve(() => undefined),
      startLocal: () => Promise.reject(new Error('not used')),
      random: seededRandom(1),
      now: () => 5,
    });
    const failed = until(service, (s) => s.phase === 'error');
    await service.applySettings({ version: 1, choice: { ...defaultRemote(keyed.url), apiKey: 'sk-wrong', dimensions: 64 } });
    expect((await failed).error).toMatchObject({ code: 'EMBEDDER_UNAUTHORIZED' });
    service.dispose();
    await keyed.close();
    db.close();
  });
});
