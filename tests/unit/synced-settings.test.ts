// SPEC C39: settings that follow the person (theme; which model answers on the Ask page, without its key) through the
// app's own modules (web/src/vault/synced-settings.ts, chat/ask.ts) on two real vault databases (fake-indexeddb +
// DexieStore), synced by the real engine through the in-memory server.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { SyncEngine } from '../../shared/sync/engine';
import { deriveSyncKeys } from '../../shared/sync/keys';
import { MemoryServer, MemoryTransport } from '../../shared/sync/testing/memory-server';
import { seededRandom } from '../../shared/sync/testing/seeded';
import { loadAskSettings, saveAskSettings } from '../../web/src/chat/ask';
import { defaultRemote, loadEmbedderSettings, OFF } from '../../web/src/embed/embedder-settings';
import { SemanticService } from '../../web/src/embed/semantic-service';
import { SearchService } from '../../web/src/search/search';
import { localContext, onLocalChange } from '../../web/src/sync/local-changes';
import { readSyncedSetting, writeSyncedSetting } from '../../web/src/vault/synced-settings';
import type { Vault } from '../../web/src/vault/vault';
import { startOpenAiServer } from '../support/openai-server';
import { useFreshDatabases } from './fresh-db';

const freshDb = useFreshDatabases('synced-settings');

async function twoDevices() {
  const server = new MemoryServer({ clock: { now: () => Date.now() } });
  const keys = await deriveSyncKeys(crypto.subtle, new Uint8Array(32).fill(5), { vaultId: Buffer.alloc(16, 4).toString('base64') });
  const random = seededRandom(3);
  const device = async () => {
    const db = await freshDb();
    const ctx = await localContext(db);
    const engine = new SyncEngine({ store: ctx.store, transport: new MemoryTransport(server, 'user'), cipher: crypto.subtle, random, clock: ctx.clock, sleep: () => Promise.resolve(), keys, deviceId: ctx.deviceId });
    const vault: Vault = { db, search: new SearchService(db), close: () => db.close() };
    return { db, vault, sync: async () => expect((await engine.sync()).state).toBe('in-sync') };
  };
  return { a: await device(), b: await device(), server };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

describe('C39: synced settings', () => {
  it('a theme chosen on one device reaches the other; the later choice wins on both', async () => {
    const { a, b } = await twoDevices();
    expect(await readSyncedSetting(b.db, 'theme')).toBeNull();
    await writeSyncedSetting(a.db, 'theme', 'dark');
    await a.sync();
    await b.sync();
    expect(await readSyncedSetting(b.db, 'theme')).toBe('dark');
    await tick();
    await writeSyncedSetting(b.db, 'theme', 'light');
    await b.sync();
    await a.sync();
    expect(await readSyncedSetting(a.db, 'theme')).toBe('light');
    expect(await readSyncedSetting(b.db, 'theme')).toBe('light');
  });

  it('the Ask model choice syncs; its API key never leaves the device (it is in no synced record)', async () => {
    const { a, b, server } = await twoDevices();
    const key = 'sk-very-secret-key-1234567890';
    const before = await loadAskSettings(a.vault);
    await saveAskSettings(a.vault, { ...before, mode: 'own', own: { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3', apiKey: key } });
    await a.sync();
    await b.sync();
    const onB = await loadAskSettings(b.vault);
    expect(onB).toMatchObject({ mode: 'own', own: { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3', apiKey: '' } });
    // The key stays in A's own settings row only: not in a synced record, not in anything pending or pushed.
    expect(JSON.stringify(await a.db.syncRecords.toArray())).not.toContain(key);
    expect((await loadAskSettings(a.vault)).own.apiKey).toBe(key);
    expect(JSON.stringify(await b.db.settings.toArray())).not.toContain(key);
    expect(server.head('user').version).toBeGreaterThan(0);

    // B adds its own key for the synced endpoint: a per-device change, not a synced write.
    let changes = 0;
    const stop = onLocalChange(() => (changes += 1));
    await saveAskSettings(b.vault, { ...onB, own: { ...onB.own, apiKey: 'sk-phone-key' }, noticeSeen: true });
    stop();
    expect(changes).toBe(0);
    expect(await b.db.syncPending.count()).toBe(0);
  });

  it('acknowledging a notice on a device that has not pulled yet does not overrule the other device\u2019s choice', async () => {
    const { a, b } = await twoDevices();
    await saveAskSettings(a.vault, { ...(await loadAskSettings(a.vault)), mode: 'offline' });
    await a.sync();
    // B, before its next pull, only marks the notice seen.
    await tick();
    await saveAskSettings(b.vault, { ...(await loadAskSettings(b.vault)), noticeSeen: true });
    await b.sync();
    await a.sync();
    expect((await loadAskSettings(b.vault)).mode).toBe('offline');
    expect((await loadAskSettings(a.vault)).mode).toBe('offline');
  });

  it('a value that is not one of the setting\u2019s choices is refused before anything is written', async () => {
    const db = await freshDb();
    // @ts-expect-error: not a theme
    await expect(writeSyncedSetting(db, 'theme', 'purple')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await db.syncRecords.count()).toBe(0);
  });

  it('C51: the embedding service follows the person without its key; the other device is not switched', async () => {
    const key = 'sk-embedding-key-0987654321';
    const ai = await startOpenAiServer({ apiKey: key });
    try {
      const { a, b, server } = await twoDevices();
      const service = new SemanticService({
        db: a.db,
        register: () => Promise.resolve(() => undefined),
        startLocal: () => Promise.reject(new Error('no on-device model in this test')),
        random: Math.random,
        now: Date.now,
      });
      await service.applySettings({ version: 1, choice: { ...defaultRemote(`${ai.url}/`), model: 'stand-in-embed', apiKey: key, dimensions: 64 } });
      service.dispose();
      await a.sync();
      await b.sync();
      const shared = await readSyncedSetting(b.db, 'embedder');
      expect(shared).toEqual({ baseUrl: `${ai.url}/`, model: 'stand-in-embed', dimensions: 64 });
      expect(JSON.stringify(await a.db.syncRecords.toArray())).not.toContain(key);
      expect(JSON.stringify(await b.db.syncRecords.toArray())).not.toContain(key);
      expect(server.head('user').version).toBeGreaterThan(0);
      // B keeps its own choice (off here) until the person takes the offer.
      expect(await loadEmbedderSettings(b.db)).toEqual(OFF);
      // Receiving it wrote nothing of B's own.
      expect(await b.db.syncPending.count()).toBe(0);
    } finally {
      await ai.close();
    }
  });
});
