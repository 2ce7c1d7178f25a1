// C38: vectors of the remote embedding model travel with sync. Two app vaults (Dexie on fake-indexeddb) with the
// real engine and the in-memory server: the laptop embeds through the remote embedder (against the local
// OpenAI-compatible stand-in), the phone pulls and stores the vectors as searchable blocks and embeds nothing again.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosine } from '../../shared/embed/vector-math';
import { SyncEngine } from '../../shared/sync/engine';
import { deriveSyncKeys } from '../../shared/sync/keys';
import { MemoryServer, MemoryTransport } from '../../shared/sync/testing/memory-server';
import { seededRandom } from '../../shared/sync/testing/seeded';
import { deleteItem, importItems } from '../../shared/sync/vault-ops';
import { vectorBlocks, type VaultDatabase } from '../../web/src/db/database';
import { RemoteEmbedder } from '../../web/src/embed/remote-embedder';
import { runEmbeddingJob } from '../../web/src/embed/embedding-job';
import { DexieStore } from '../../web/src/sync/dexie-store';
import { localContext } from '../../web/src/sync/local-changes';
import { materializeSyncedVectors } from '../../web/src/sync/vector-sync';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { contractConversation, contractNode } from './sync-local-store.contract';
import { useFreshDatabases } from './fresh-db';

const freshDb = useFreshDatabases('sync-vectors');

describe('C38: remote-model vectors sync; on-device ones do not', () => {
  let model: OpenAiServer;
  beforeAll(async () => {
    model = await startOpenAiServer({ apiKey: 'sk-test' });
  });
  afterAll(() => model.close());

  async function rig() {
    const now = { value: 1_780_000_000_000 };
    const server = new MemoryServer({ clock: { now: () => now.value } });
    const keys = await deriveSyncKeys(crypto.subtle, new Uint8Array(32).fill(9), { vaultId: Buffer.alloc(16, 2).toString('base64') });
    const clock = { now: () => now.value };
    const device = async (db: VaultDatabase) => {
      const ctx = await localContext(db);
      const engine = new SyncEngine({
        store: new DexieStore(db, ctx.deviceId),
        transport: new MemoryTransport(server, 'user'),
        cipher: crypto.subtle,
        random: seededRandom(3),
        clock,
        sleep: (ms) => {
          now.value += ms;
          return Promise.resolve();
        },
        keys,
        deviceId: ctx.deviceId,
      });
      return { db, ctx, engine };
    };
    return { laptop: await device(await freshDb()), phone: await device(await freshDb()) };
  }

  const embedder = () => new RemoteEmbedder({ baseUrl: model.url, model: 'stand-in-embed', apiKey: 'sk-test' });

  it('the phone gets the laptop’s vectors as blocks of the same model, close to the originals, and embeds nothing again; a deletion takes them away', async () => {
    const { laptop, phone } = await rig();
    const conversations = [1, 2, 3].map((i) => contractConversation(i, `walrus${i}`));
    const nodes = conversations.map((c, i) => contractNode(i + 1, c.id, `walrus${i + 1}`));
    await importItems(laptop.ctx, { conversations, nodes });

    const first = await runEmbeddingJob({ db: laptop.db, embedder: embedder() });
    expect(first.embedded).toBe(3);
    const [laptopBlock] = await vectorBlocks(laptop.db, first.modelId, first.dim);
    expect(laptopBlock?.nodeIds).toHaveLength(3);
    // Each vector is a pending record of its own (synced in the vectors segment kind).
    expect(await laptop.db.syncRecords.where('key').startsWith('vector:').count()).toBe(3);

    expect((await laptop.engine.sync()).state).toBe('in-sync');
    const pulled = await phone.engine.sync();
    expect(pulled.state).toBe('in-sync');
    expect(await materializeSyncedVectors(phone.db)).toBe(3);
    expect(await materializeSyncedVectors(phone.db)).toBe(0);

    const phoneBlocks = await vectorBlocks(phone.db, first.modelId, first.dim);
    const phoneVectors = new Map<string, Float32Array>();
    for (const block of phoneBlocks) block.nodeIds.forEach((id, i) => phoneVectors.set(id, new Float32Array(block.data, i * block.dim * 4, block.dim)));
    expect([...phoneVectors.keys()].sort()).toEqual(nodes.map((n) => n.id).sort());
    laptopBlock!.nodeIds.forEach((id, i) => {
      const original = new Float32Array(laptopBlock!.data, i * first.dim * 4, first.dim);
      expect(cosine(original, phoneVectors.get(id)!)).toBeGreaterThan(0.999);
    });
    // The phone's own job finds every node covered: nothing is sent to the model again.
    model.resetStats();
    const second = await runEmbeddingJob({ db: phone.db, embedder: embedder() });
    expect(second).toMatchObject({ embedded: 0, alreadyDone: 3 });
    // (The job may ask the model once for its vector size; no exchange's text is sent.)
    expect([...model.stats.embedded.keys()].filter((text) => text.includes('walrus'))).toEqual([]);

    // Deleting a conversation on the laptop removes its node's vector on the phone.
    await deleteItem(laptop.ctx, `conversation:${conversations[0]!.id}`);
    expect((await laptop.engine.sync()).state).toBe('in-sync');
    expect((await phone.engine.sync()).state).toBe('in-sync');
    const left = (await vectorBlocks(phone.db, first.modelId, first.dim)).flatMap((b) => b.nodeIds);
    expect(left.sort()).toEqual([nodes[1]!.id, nodes[2]!.id].sort());
    expect(await phone.db.syncRecords.where('key').startsWith('vector:').count()).toBe(2);
  });
});
