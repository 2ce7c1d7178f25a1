// What the keyword index records of where each node is stored (DocsRow.chunks, db/node-store.ts): for tests.
import { expect } from 'vitest';
import type { VaultDatabase } from '../../web/src/db/database';
import type { DocsRow } from '../../web/src/search/keyword-index';

/** node id -> the chunk number the index's docs rows record for it (0: none recorded). */
export async function recordedChunks(db: VaultDatabase): Promise<Map<string, number>> {
  const rows = (await db.searchIndex.toArray()).filter((row): row is DocsRow => row.kind === 'docs');
  const recorded = new Map<string, number>();
  for (const row of rows) {
    const ids = row.nodeIds === '' ? [] : row.nodeIds.split('\n');
    ids.forEach((id, i) => recorded.set(id, row.chunks?.[i] ?? 0));
  }
  return recorded;
}

/** Every stored node is listed by the index with the number of the chunk that holds it. */
export async function expectChunksRecorded(db: VaultDatabase): Promise<number> {
  const recorded = await recordedChunks(db);
  const stored = new Map<string, number>();
  for (const chunk of await db.nodeData.toArray()) for (const id of chunk.ids) stored.set(id, chunk.id);
  expect(stored.size).toBeGreaterThan(0);
  expect(recorded).toEqual(stored);
  return stored.size;
}

/**
 * Counts the look-ups by the nodes' `ids` index from now on (Dexie's DBCore: what reaches IndexedDB). Middleware is
 * set up when a database opens: `db` is closed and opened again.
 */
export async function countIdsLookups(db: VaultDatabase): Promise<{ count: number }> {
  const counter = { count: 0 };
  db.close();
  db.use({
    stack: 'dbcore',
    name: 'count-ids-lookups',
    create: (down) => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        const counted = (index: { name: string | null }): void => {
          if (index.name === 'ids') counter.count += 1;
        };
        return {
          ...table,
          query: (request) => (counted(request.query.index), table.query(request)),
          openCursor: (request) => (counted(request.query.index), table.openCursor(request)),
        };
      },
    }),
  });
  await db.open();
  return counter;
}
