// The LocalStore contract run against every adapter: the in-memory store, the Dexie store (fake-indexeddb) and the
// command-line device's SQLite store (a real database file).
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dexie from 'dexie';
import { openSqliteVault } from '../../shared/cli/sqlite-store';
import { MemoryStore } from '../../shared/sync/testing/memory-store';
import { openVaultDatabase } from '../../web/src/db/database';
import { DexieStore } from '../../web/src/sync/dexie-store';
import { describe, expect, it } from 'vitest';
import { initialHlc } from '../../shared/sync/hlc';
import { recordKey, type SyncRecord } from '../../shared/sync/records';
import { CONTRACT_DEVICE, contractConversation, localStoreContract } from './sync-local-store.contract';

let opened = 0;

localStoreContract('in-memory', () => Promise.resolve({ store: new MemoryStore(CONTRACT_DEVICE), close: () => Promise.resolve() }));

localStoreContract('Dexie', async () => {
  const name = `sync-local-store-${process.pid}-${opened++}`;
  const db = await openVaultDatabase({ name });
  return {
    store: new DexieStore(db, CONTRACT_DEVICE),
    close: async () => {
      db.close();
      await Dexie.delete(name);
    },
  };
});

localStoreContract('SQLite (command line)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cogzy-sqlite-store-'));
  const vault = openSqliteVault(join(dir, 'vault.sqlite'), CONTRACT_DEVICE);
  return Promise.resolve({
    store: vault.store,
    close: () => {
      vault.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describe('SQLite store: compaction reads the vault page by page', () => {
  it('recordPages yields every record once, the same records as allRecords, in pages of at most 256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogzy-sqlite-pages-'));
    const vault = openSqliteVault(join(dir, 'vault.sqlite'), CONTRACT_DEVICE);
    try {
      const conversations = Array.from({ length: 3 }, (_, i) => contractConversation(i));
      const records: SyncRecord[] = [
        ...conversations.map((value): SyncRecord => ({ type: 'conversation', id: value.id, value })),
        ...Array.from({ length: 600 }, (_, i): SyncRecord => ({ type: 'memory', id: `m${String(i).padStart(4, '0')}`, text: `memory ${i}`, hlc: initialHlc(CONTRACT_DEVICE) })),
      ];
      await vault.store.transaction(async (tx) => {
        for (const record of records) await tx.putRecord(record);
      });
      const pages: SyncRecord[][] = [];
      for await (const page of vault.store.recordPages()) pages.push(page);
      expect(pages.map((p) => p.length)).toEqual([256, 256, 91]);
      const paged = pages.flat();
      expect(new Set(paged.map(recordKey)).size).toBe(records.length);
      expect(paged).toEqual(expect.arrayContaining(await vault.store.allRecords()));
      expect(paged.find((r) => recordKey(r) === recordKey(records[0]!))).toEqual(records[0]);
    } finally {
      vault.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
