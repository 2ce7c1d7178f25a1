// The keyword index storage port contract against the app's Dexie table (fake-indexeddb) and the command-line
// device's SQLite table (a real database file).
import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Dexie from 'dexie';
import { SEARCH_INDEX_SQL, SqliteIndexTable } from '../../shared/cli/sqlite-index-table';
import { openSqliteVault } from '../../shared/cli/sqlite-store';
import { openVaultDatabase } from '../../web/src/db/database';
import { compactSearchIndex } from '../../web/src/search/keyword-index';
import { DexieStore } from '../../web/src/sync/dexie-store';
import { searchIndexTableContract } from './search-index-table.contract';

let opened = 0;

async function dexie() {
  const name = `search-index-table-${process.pid}-${opened++}`;
  const db = await openVaultDatabase({ name });
  return {
    db,
    close: async () => {
      db.close();
      await Dexie.delete(name);
    },
  };
}

searchIndexTableContract(
  'Dexie',
  async () => {
    const { db, close } = await dexie();
    return { table: db.searchIndex, close };
  },
  async () => {
    const { db, close } = await dexie();
    return { store: new DexieStore(db, 'device-a'), search: db, compact: (minSegments) => compactSearchIndex(db, { minSegments }), close };
  },
);

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cogzy-index-table-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

searchIndexTableContract(
  'SQLite (command line)',
  () => {
    const { dir, remove } = tempDir();
    const db = new Database(join(dir, 'index.sqlite'));
    db.exec(SEARCH_INDEX_SQL);
    return Promise.resolve({
      table: new SqliteIndexTable(db),
      close: () => {
        db.close();
        remove();
        return Promise.resolve();
      },
    });
  },
  () => {
    const { dir, remove } = tempDir();
    const vault = openSqliteVault(join(dir, 'vault.sqlite'), 'device-a');
    return Promise.resolve({
      store: vault.store,
      search: vault.reader,
      compact: (minSegments) => vault.store.compactIndex(minSegments),
      close: () => {
        vault.close();
        remove();
        return Promise.resolve();
      },
    });
  },
);
