// The LocalStore contract run against both adapters: the in-memory store and the Dexie store (fake-indexeddb).
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
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
