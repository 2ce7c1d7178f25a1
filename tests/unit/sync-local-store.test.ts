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
import { CONTRACT_DEVICE, localStoreContract } from './sync-local-store.contract';

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
