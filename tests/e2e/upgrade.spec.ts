/**
 * The v6 -> v7 storage upgrade (nodes into chunk rows, db/node-store.ts) in real chromium, against the production
 * build: a vault written exactly as v6 stored it (raw IndexedDB, Dexie's naming: version 6 is IndexedDB version 60)
 * opens in the app, which shows how far the upgrade is, then reads every node from its chunks (the reader, search).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchApp, type BrowserSession } from '../support/browser';

const baseUrl = inject('baseUrl');
const CONVERSATIONS = 1_500;
const PER_CONVERSATION = 10;

describe('opening a vault stored by the previous version', () => {
  let app: BrowserSession;

  beforeAll(async () => {
    app = await launchApp();
    // A page of the app's origin that does not run the app, so nothing opens the vault before it is written.
    await app.page.goto(`${baseUrl}/manifest.webmanifest`);
    const written = await app.page.evaluate(
      ({ conversations, per }) =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('cogzy-vault', 60);
          open.onupgradeneeded = () => {
            const db = open.result;
            const store = (name: string, keyPath: string | string[], indexes: [string, string | string[], boolean][] = [], autoIncrement = false): void => {
              const s = db.createObjectStore(name, { keyPath, autoIncrement });
              for (const [index, path, multiEntry] of indexes) s.createIndex(index, path, { multiEntry, unique: false });
            };
            store('conversations', 'id', [
              ['provider', 'provider', false],
              ['sortAt', 'sortAt', false],
              ['titleKey', 'titleKey', false],
              ['[provider+sortAt]', ['provider', 'sortAt'], false],
            ]);
            store('conversationRaws', 'id');
            store('nodes', 'id', [['[conversationId+ordinal]', ['conversationId', 'ordinal'], false]]);
            store('vectors', 'id', [['[modelId+dim]', ['modelId', 'dim'], false], ['modelId', 'modelId', false], ['nodeIds', 'nodeIds', true]], true);
            store('searchIndex', ['part', 'seg']);
            store('imports', 'id', [['status', 'status', false], ['fileKey', 'fileKey', false]], true);
            store('settings', 'key');
            store('syncState', 'key');
            store('memories', 'id', [['updatedAt', 'updatedAt', false]]);
            store('syncRecords', 'key', [['owners', 'owners', true]]);
            store('syncTombstones', 'key');
            store('syncPending', 'key', [['seq', 'seq', false]]);
          };
          open.onerror = () => reject(new Error(open.error?.message ?? 'open failed'));
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction(['conversations', 'conversationRaws', 'nodes'], 'readwrite');
            let docId = 1;
            for (let c = 0; c < conversations; c++) {
              const id = `chatgpt:legacy-${c}`;
              const createdAt = 1_700_000_000_000 + c * 60_000;
              const title = c === 7 ? 'Quince jam' : `Legacy conversation ${c}`;
              tx.objectStore('conversations').put({
                schemaVersion: 1, id, provider: 'chatgpt', providerConversationId: `legacy-${c}`, kind: 'chat', title, createdAt,
                updatedAt: createdAt, model: null, messageCount: per * 2, nodeCount: per, sortAt: createdAt, titleKey: title.toLowerCase(),
              });
              tx.objectStore('conversationRaws').put({ id, raw: '{}' });
              for (let o = 0; o < per; o++) {
                const n = c * per + o;
                tx.objectStore('nodes').put({
                  schemaVersion: 1, id: n.toString(16).padStart(64, '0'), kind: 'exchange', provider: 'chatgpt', conversationId: id, ordinal: o,
                  active: true, branchId: null,
                  human: { text: c === 7 ? `Step ${o}: how long do I boil quince?` : `Question ${n} about the harbour`, messageIds: [`h${n}`], createdAt: createdAt + o * 1000, model: null },
                  assistant: { text: `Answer ${n}.`, messageIds: [`a${n}`], createdAt: createdAt + o * 1000 + 500, model: 'gpt-4o' },
                  extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
                  attachments: [], createdAt: createdAt + o * 1000, docId: docId++, isActive: 1,
                });
              }
            }
            tx.oncomplete = () => {
              db.close();
              resolve(docId - 1);
            };
            tx.onerror = () => reject(new Error(tx.error?.message ?? 'write failed'));
          };
        }),
      { conversations: CONVERSATIONS, per: PER_CONVERSATION },
    );
    expect(written).toBe(CONVERSATIONS * PER_CONVERSATION);
  });

  afterAll(async () => {
    await app.close();
  });

  it('shows how far the upgrade is, then opens with every node in chunks, conversations readable', async () => {
    const { page } = app;
    await page.goto(`${baseUrl}/#/`);
    // The app opens the vault at once and moves 15,000 nodes, two thousand at a time, saying how far it is.
    const status = page.getByRole('status').filter({ hasText: 'Updating how your vault is stored' });
    await status.waitFor({ timeout: 30_000 });
    // Numbers are written in the browser's locale (15,000 or 15.000 or 15 000).
    expect(await status.textContent()).toMatch(/\d[\d,.\s\u202f]* of 15[,.\s\u202f]?000 exchanges/);
    await status.waitFor({ state: 'detached', timeout: 120_000 });

    const stored = await page.evaluate(
      () =>
        new Promise<{ version: number; stores: string[]; chunks: number; nodes: number; chunksOf7: number }>((resolve, reject) => {
          const open = indexedDB.open('cogzy-vault');
          open.onerror = () => reject(new Error(open.error?.message ?? 'open failed'));
          open.onsuccess = () => {
            const db = open.result;
            const tx = db.transaction('nodeData', 'readonly');
            const all = tx.objectStore('nodeData').getAll();
            const of7 = tx.objectStore('nodeData').index('conversationIds').count('chatgpt:legacy-7');
            tx.oncomplete = () => {
              const rows = all.result as { ids: string[] }[];
              resolve({ version: db.version, stores: [...db.objectStoreNames], chunks: rows.length, nodes: rows.reduce((n, r) => n + r.ids.length, 0), chunksOf7: of7.result });
              db.close();
            };
          };
        }),
    );
    expect(stored.version).toBeGreaterThanOrEqual(70);
    expect(stored.stores).not.toContain('nodes');
    expect(stored.nodes).toBe(CONVERSATIONS * PER_CONVERSATION);
    expect(stored.chunks).toBeLessThan(stored.nodes / 4);
    // Moved in conversation order: a conversation of 10 spans two or three chunks of 8, not ten.
    expect(stored.chunksOf7).toBeLessThanOrEqual(3);

    // The reader shows the conversation's exchanges in order, read from the chunks.
    await page.goto(`${baseUrl}/#/c/${encodeURIComponent('chatgpt:legacy-7')}`);
    await page.getByText('Step 9: how long do I boil quince?').waitFor({ timeout: 30_000 });
    const steps = await page.getByText(/^Step \d: how long do I boil quince\?$/).allTextContents();
    expect(steps).toEqual(Array.from({ length: PER_CONVERSATION }, (_, o) => `Step ${o}: how long do I boil quince?`));
    expect(app.errors).toEqual([]);
  });
});
