// Fresh fake-indexeddb vault databases for one test file: each call opens a new one, and every database opened is
// closed and deleted after each test.
import Dexie from 'dexie';
import { afterEach } from 'vitest';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';

export function useFreshDatabases(prefix: string): (name?: string) => Promise<VaultDatabase> {
  const opened: VaultDatabase[] = [];
  let counter = 0;
  afterEach(async () => {
    for (const db of opened.splice(0)) {
      db.close();
      await Dexie.delete(db.name);
    }
  });
  return async (name = `${prefix}-${process.pid}-${counter++}`) => {
    const db = await openVaultDatabase({ name });
    opened.push(db);
    return db;
  };
}
