// Conversation titles in keyword and hybrid search (web/src/search/title-index.ts, title-search.ts): a word only in
// a title finds its conversation, a renamed title (SPEC C30) wins over the imported one, on this device and after a
// pull, and a deleted conversation's title finds nothing. On real vault databases (fake-indexeddb) written through
// the app's import and sync write paths, and on the command line's SQLite vault through the same KeywordSearch.
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { openSqliteVault } from '../../shared/cli/sqlite-store';
import { searchVault } from '../../shared/cli/vault-queries';
import type { ImportBatch } from '../../shared/import';
import type { Conversation, MemoryNode } from '../../shared/model';
import { SyncEngine } from '../../shared/sync/engine';
import { deriveSyncKeys } from '../../shared/sync/keys';
import { MemoryServer, MemoryTransport } from '../../shared/sync/testing/memory-server';
import { seededRandom } from '../../shared/sync/testing/seeded';
import { deleteItem, importItems } from '../../shared/sync/vault-ops';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { runEmbeddingJob } from '../../web/src/embed/embedding-job';
import { RemoteEmbedder } from '../../web/src/embed/remote-embedder';
import { SearchService } from '../../web/src/search/search';
import { MAX_TITLE_ROWS, TITLE_PART } from '../../web/src/search/title-index';
import { localContext } from '../../web/src/sync/local-changes';
import { renameConversation } from '../../web/src/vault/edit-writes';
import { VectorMatrix } from '../../web/src/vectors/vector-matrix';
import { VectorResultSource } from '../../web/src/vectors/vector-source';
import { startOpenAiServer } from '../support/openai-server';
import { useFreshDatabases } from './fresh-db';

const freshDb = useFreshDatabases('titles');

function conversation(id: string, title: string, count: number): Conversation {
  return { schemaVersion: 1, id, provider: 'chatgpt', providerConversationId: id.slice(8), kind: 'chat', title, createdAt: 1, updatedAt: 2, model: null, messageCount: count * 2, nodeCount: count, raw: '{}' };
}

function node(conversationId: string, ordinal: number, human: string, assistant: string): MemoryNode {
  return {
    schemaVersion: 1,
    id: Buffer.from(`${conversationId}#${ordinal}`).toString('hex').padEnd(64, '0').slice(0, 64),
    kind: 'exchange',
    provider: 'chatgpt',
    conversationId,
    ordinal,
    active: true,
    branchId: null,
    human: { text: human, messageIds: [], createdAt: 1000 + ordinal, model: null },
    assistant: { text: assistant, messageIds: [], createdAt: 1000 + ordinal, model: null },
    extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
    attachments: [],
    createdAt: 1000 + ordinal,
  };
}

/** Three conversations; "database", "seedlings" and "renovation" are only in titles, except one "database" in an exchange. */
const CORPUS: { conversation: Conversation; nodes: MemoryNode[] }[] = [
  {
    conversation: conversation('chatgpt:db', 'Choosing a database for the side project', 2),
    nodes: [node('chatgpt:db', 0, 'Should I use Postgres or SQLite for my app?', 'SQLite is enough for one user.'), node('chatgpt:db', 1, 'How do I back it up?', 'Copy the file while no write runs.')],
  },
  {
    conversation: conversation('chatgpt:garden', 'Tomato seedlings', 2),
    nodes: [node('chatgpt:garden', 0, 'How often should I water them?', 'Every morning, at the roots.'), node('chatgpt:garden', 1, 'They look pale', 'Give them more light.')],
  },
  {
    conversation: conversation('chatgpt:kitchen', 'Kitchen renovation', 1),
    nodes: [node('chatgpt:kitchen', 0, 'I keep a database of tile prices in a spreadsheet', 'Sort it by price per square metre.')],
  },
];

/** A vault imported through the app's import write path, one batch per conversation. */
async function importedVault(): Promise<VaultDatabase> {
  const db = await freshDb();
  const importId = await createImportRow(db, { fileName: 'titles.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  for (const item of CORPUS) {
    const batch: ImportBatch = {
      items: [{ conversation: item.conversation, nodes: item.nodes, duplicates: 0 }],
      progress: { bytesRead: 1, totalBytes: 1, records: 1, conversations: 1, nodes: item.nodes.length, duplicates: 0 },
      checkpoint: { records: 1 },
    };
    await commitImportBatch(db, importId, batch, { parseMs: 0, now: 2 });
  }
  return db;
}

async function found(search: SearchService, query: string, mode: 'keyword' | 'hybrid' = 'keyword'): Promise<{ at: string; title: string }[]> {
  return (await search.search(query, { mode })).results.map((r) => ({ at: `${r.conversationId}#${r.ordinal}`, title: r.conversationTitle }));
}

describe('conversation titles are searchable', () => {
  it('a word only in a title finds its conversation, one exchange standing for it; the title lifts its exchanges', async () => {
    const db = await importedVault();
    const search = new SearchService(db);
    const database = await found(search, 'database ');
    // The title-only conversation (one exchange for it, the first) and the exchange that says the word.
    expect(database.map((r) => r.at).sort()).toEqual(['chatgpt:db#0', 'chatgpt:kitchen#0']);
    expect(database.find((r) => r.at === 'chatgpt:db#0')?.title).toBe('Choosing a database for the side project');
    // While typing, and misspelt.
    expect((await found(search, 'datab')).map((r) => r.at)).toContain('chatgpt:db#0');
    expect((await found(search, 'seedligns ')).map((r) => r.at)).toEqual(['chatgpt:garden#0']);
    const typo = await search.search('seedligns ');
    expect(typo.corrections).toEqual([{ word: 'seedligns', to: ['seedlings'] }]);
    // Title and exchange words together: the conversation whose title holds the rest comes first.
    expect((await found(search, 'database sqlite '))[0]?.at).toBe('chatgpt:db#0');
    expect((await found(search, 'back up database '))[0]?.at).toBe('chatgpt:db#1');
    // A quoted title is a phrase that is found.
    const quoted = await search.search('what did I decide in "choosing a database"?');
    expect(quoted.missedPhrases).toEqual([]);
    expect(quoted.results[0]?.conversationId).toBe('chatgpt:db');
    // A role filter searches the person's or the assistant's words only: titles are neither.
    expect((await search.search('seedlings ', { filters: { role: 'human' } })).results).toEqual([]);
  });

  it('ranks the same whatever queries ran before (the title arrays a query borrows go back zeroed)', async () => {
    // Each word is in one conversation's title and in the other's exchanges: a query borrows an array of title
    // frequencies by conversation, and one left with the other word's entries would lift the wrong exchange.
    const db = await freshDb();
    const importId = await createImportRow(db, { fileName: 'tides.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
    const items = [
      { conversation: conversation('chatgpt:kayak', 'Harbour kayak', 2), nodes: [node('chatgpt:kayak', 0, 'When is the tide low?', 'At six.'), node('chatgpt:kayak', 1, 'Which paddle?', 'A light one.')] },
      { conversation: conversation('chatgpt:tide', 'Tide tables', 2), nodes: [node('chatgpt:tide', 0, 'Can I rent a kayak there?', 'Yes, at the pier.'), node('chatgpt:tide', 1, 'Spring tides?', 'Twice a month.')] },
    ];
    await commitImportBatch(db, importId, { items: items.map((item) => ({ ...item, duplicates: 0 })), progress: { bytesRead: 1, totalBytes: 1, records: 2, conversations: 2, nodes: 4, duplicates: 0 }, checkpoint: { records: 2 } }, { parseMs: 0, now: 2 });
    const search = new SearchService(db);
    const queries = ['tide ', 'kayak ', 'harbour tide ', 'kayak tables '];
    const first = [];
    for (const query of queries) first.push((await search.search(query)).results);
    expect(first.every((results) => results.length > 0)).toBe(true);
    // Each again, after every other, in the other order: the same hits with the same scores.
    for (const query of [...queries].reverse()) expect((await search.search(query)).results).toEqual(first[queries.indexOf(query)]);
  });

  it('in hybrid search too (the stand-in embeddings)', async () => {
    const db = await importedVault();
    const server = await startOpenAiServer();
    try {
      const embedder = new RemoteEmbedder({ baseUrl: server.url, model: 'stand-in-embed', dimensions: 64 });
      await runEmbeddingJob({ db, embedder });
      const search = new SearchService(db);
      search.registerSource(new VectorResultSource(await VectorMatrix.load(db, embedder.modelId, 64), embedder, db));
      const hybrid = await found(search, 'renovation ', 'hybrid');
      expect(hybrid[0]).toEqual({ at: 'chatgpt:kitchen#0', title: 'Kitchen renovation' });
    } finally {
      await server.close();
    }
  });

  it('a renamed title is found and the imported one no longer is; undoing the rename turns it back', async () => {
    const db = await importedVault();
    const search = new SearchService(db);
    expect((await found(search, 'seedlings ')).map((r) => r.at)).toEqual(['chatgpt:garden#0']);
    await renameConversation(db, 'chatgpt:garden', 'Balcony chili peppers');
    expect(await found(search, 'chili ')).toEqual([{ at: 'chatgpt:garden#0', title: 'Balcony chili peppers' }]);
    expect(await found(search, 'seedlings ')).toEqual([]);
    // Words in the exchanges still find them, shown under the new title.
    expect(await found(search, 'pale ')).toEqual([{ at: 'chatgpt:garden#1', title: 'Balcony chili peppers' }]);
    await renameConversation(db, 'chatgpt:garden', null);
    expect(await found(search, 'chili ')).toEqual([]);
    expect(await found(search, 'seedlings ')).toEqual([{ at: 'chatgpt:garden#0', title: 'Tomato seedlings' }]);
  });

  it("a deleted conversation's title, imported or renamed, no longer matches", async () => {
    const db = await importedVault();
    const search = new SearchService(db);
    await renameConversation(db, 'chatgpt:db', 'Storage engine shootout');
    expect((await found(search, 'shootout ')).map((r) => r.at)).toEqual(['chatgpt:db#0']);
    await deleteItem(await localContext(db), 'conversation:chatgpt:db');
    expect(await found(search, 'shootout ')).toEqual([]);
    expect((await found(search, 'database ')).map((r) => r.at)).toEqual(['chatgpt:kitchen#0']);
  });

  it('many title changes fold the log into one row, and a search that ran before still answers right', async () => {
    const db = await importedVault();
    const search = new SearchService(db);
    expect((await found(search, 'renovation ')).map((r) => r.at)).toEqual(['chatgpt:kitchen#0']);
    for (let i = 0; i < MAX_TITLE_ROWS + 3; i++) await renameConversation(db, 'chatgpt:kitchen', `Kitchen version${i}`);
    const rows = await db.searchIndex.where('[part+seg]').between([TITLE_PART, Dexie.minKey], [TITLE_PART, Dexie.maxKey]).count();
    expect(rows).toBeLessThanOrEqual(MAX_TITLE_ROWS);
    const last = `version${MAX_TITLE_ROWS + 2}`;
    expect(await found(search, `${last} `)).toEqual([{ at: 'chatgpt:kitchen#0', title: `Kitchen ${last}` }]);
    expect(await found(search, 'renovation ')).toEqual([]);
    // A new reader (another tab, a restart) builds the same from the rows.
    expect((await new SearchService(db).search(`${last} `)).results.map((r) => r.conversationId)).toEqual(['chatgpt:kitchen']);
  });
});

describe('titles through sync and on the command line', () => {
  it('a rename made on another device is searchable after the pull, and a deletion there removes the title here', async () => {
    const server = new MemoryServer({ clock: { now: () => Date.now() } });
    const keys = await deriveSyncKeys(crypto.subtle, new Uint8Array(32).fill(3), { vaultId: Buffer.alloc(16, 2).toString('base64') });
    const random = seededRandom(7);
    const device = async () => {
      const db = await freshDb();
      const ctx = await localContext(db);
      const engine = new SyncEngine({ store: ctx.store, transport: new MemoryTransport(server, 'user'), cipher: crypto.subtle, random, clock: ctx.clock, sleep: () => Promise.resolve(), keys, deviceId: ctx.deviceId });
      return { db, ctx, sync: async () => expect((await engine.sync()).state).toBe('in-sync') };
    };
    const a = await device();
    const b = await device();
    await importItems(a.ctx, { conversations: CORPUS.map((c) => c.conversation), nodes: CORPUS.flatMap((c) => c.nodes) });
    await a.sync();
    await b.sync();
    const searchB = new SearchService(b.db);
    expect((await found(searchB, 'seedlings ')).map((r) => r.at)).toEqual(['chatgpt:garden#0']);
    await renameConversation(a.db, 'chatgpt:garden', 'Balcony chili peppers');
    await a.sync();
    await b.sync();
    expect(await found(searchB, 'chili ')).toEqual([{ at: 'chatgpt:garden#0', title: 'Balcony chili peppers' }]);
    expect(await found(searchB, 'seedlings ')).toEqual([]);
    await deleteItem(a.ctx, 'conversation:chatgpt:garden');
    await a.sync();
    await b.sync();
    expect(await found(searchB, 'chili ')).toEqual([]);
  });

  it("the command line's SQLite vault searches titles and renames with the app's KeywordSearch, also in a vault from before", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogzy-titles-'));
    try {
      const path = join(dir, 'vault.sqlite');
      let vault = openSqliteVault(path, 'device-cli');
      await vault.store.transaction(async (tx) => {
        for (const item of CORPUS) {
          await tx.putRecord({ type: 'conversation', id: item.conversation.id, value: item.conversation });
          for (const n of item.nodes) await tx.putRecord({ type: 'node', id: n.id, value: n });
        }
        await tx.putRecord({ type: 'lww', id: 'title:chatgpt:garden', value: 'Balcony chili peppers', hlc: '000000000001:0000:device-cli' });
      });
      const titles = async (query: string) => (await searchVault(vault.reader, 'http://app', query, { limit: 10 })).hits.map((h) => `${h.conversationId} ${h.conversationTitle}`);
      expect(await titles('database')).toEqual(expect.arrayContaining(['chatgpt:db Choosing a database for the side project', 'chatgpt:kitchen Kitchen renovation']));
      expect(await titles('chili')).toEqual(['chatgpt:garden Balcony chili peppers']);
      expect(await titles('seedlings')).toEqual([]);
      // A vault file from before titles were searchable gets its title log when opened.
      vault.close();
      const { default: Database } = await import('better-sqlite3');
      const raw = new Database(path);
      raw.prepare("DELETE FROM search_index WHERE part = 'titles'").run();
      raw.prepare("DELETE FROM meta WHERE name = 'titleLog'").run();
      raw.close();
      vault = openSqliteVault(path, 'device-cli');
      expect(await titles('chili')).toEqual(['chatgpt:garden Balcony chili peppers']);
      expect(await titles('renovation')).toEqual(['chatgpt:kitchen Kitchen renovation']);
      await vault.store.transaction((tx) => tx.deleteRecord('conversation:chatgpt:kitchen'));
      expect(await titles('renovation')).toEqual([]);
      vault.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a vault from before (schema v4) gets its titles and renames on upgrade', async () => {
    const name = `titles-v4-${process.pid}`;
    const old = new Dexie(name);
    old.version(4).stores({
      conversations: 'id, provider, sortAt, titleKey, [provider+sortAt]',
      conversationRaws: 'id',
      nodes: 'id, [conversationId+ordinal], provider, createdAt, isActive',
      vectors: '++id, [modelId+dim], modelId, *nodeIds',
      searchIndex: '[part+seg]',
      imports: '++id, status, fileKey',
      settings: 'key',
      syncState: 'key',
      memories: 'id, updatedAt',
      syncRecords: 'key, *owners',
      syncTombstones: 'key',
      syncPending: 'key, seq',
    });
    await old.open();
    const { raw: _raw, ...garden } = conversation('chatgpt:garden', 'Tomato seedlings', 2);
    await old.table('conversations').put({ ...garden, sortAt: 1, titleKey: 'tomato seedlings' });
    await old.table('syncRecords').put({ key: 'lww:title:chatgpt:garden', owners: ['conversation:chatgpt:garden'], record: { type: 'lww', id: 'title:chatgpt:garden', value: 'Balcony chili peppers', hlc: '000000000001:0000:x' } });
    old.close();
    const db = await openVaultDatabase({ name });
    try {
      const rows = await db.searchIndex.where('[part+seg]').between([TITLE_PART, Dexie.minKey], [TITLE_PART, Dexie.maxKey]).toArray();
      expect(rows.flatMap((row) => (row.kind === 'titles' ? row.titles : []))).toEqual(['Tomato seedlings', 'Balcony chili peppers']);
    } finally {
      db.close();
      await Dexie.delete(name);
    }
  });
});
