// The import's batch writer (web/src/import/writer-client.ts + writer-serve.ts): the same pipeline, with every batch
// committed on the far end of a MessageChannel (structured clone, zod on both sides, the writer's own database
// connection), as the app's import worker does with its writer worker. The vault must come out exactly as with
// commits on the pipeline's own thread.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors';
import { importExport } from '../../shared/import';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { COMPACT_AFTER_SEGMENTS } from '../../web/src/search/index-compaction';
import { compactSearchIndex, readIndexStats } from '../../web/src/search/keyword-index';
import { commitHere, runImportPipeline, type ImportFileInput } from '../../web/src/import/pipeline';
import { connectBatchWriter, fallingBack } from '../../web/src/import/writer-client';
import { fromWriterSchema } from '../../web/src/import/writer-protocol';
import { serveBatchWriter } from '../../web/src/import/writer-serve';
import { SearchService } from '../../web/src/search/search';
import { generateExport } from '../support/generate-chatgpt';
import { pickedFile } from '../support/picked-file';
import { useFreshDatabases } from './fresh-db';
import { expectChunksRecorded } from './chunk-places';

const freshDb = useFreshDatabases('writer');

const file = (text: string, chunkBytes?: number): ImportFileInput => pickedFile(text, 'conversations.json', chunkBytes);

/**
 * A writer served on one end of a MessageChannel, with connections of its own to the databases it is told; with
 * `serve` false nobody serves the far end, as a browser that cannot start the writer's script.
 */
function channelWriter(database: string, serve = true): { writer: ReturnType<typeof connectBatchWriter>; close: () => void } {
  const { port1, port2 } = new MessageChannel();
  const opened: VaultDatabase[] = [];
  if (serve) {
    serveBatchWriter(port2, async (name) => {
      const db = await openVaultDatabase({ name });
      opened.push(db);
      return db;
    });
  }
  port1.start();
  port2.start();
  const writer = connectBatchWriter(port1, database);
  return {
    writer,
    close: () => {
      writer.close();
      port1.close();
      port2.close();
      for (const db of opened) db.close();
    },
  };
}

async function snapshot(db: VaultDatabase): Promise<unknown> {
  const search = new SearchService(db);
  const response = await search.search('schema memory vault', { limit: 10 });
  const [imported] = await db.imports.toArray();
  return {
    nodes: (await db.nodes.all()).map((n) => [n.id, n.docId, n.conversationId, n.ordinal]).sort(),
    conversations: (await db.conversations.toArray()).map((c) => c.id).sort(),
    raws: (await db.conversationRaws.count()),
    stats: await readIndexStats(db.searchIndex),
    counts: imported?.counts,
    status: imported?.status,
    hits: response.results.map((r) => r.nodeId),
    total: response.keywordTotal,
  };
}

describe('import batches committed by the writer over a message channel', () => {
  const generated = generateExport({ seed: 11, conversations: 60 });

  it('stores exactly what commits on the pipeline thread store, batch by batch, and search finds the same', async () => {
    const here = await freshDb();
    await runImportPipeline(here, [file(generated.json)], { importer: importExport, batchSize: 7 });
    const there = await freshDb();
    const { writer, close } = channelWriter(there.name);
    try {
      const [row] = await runImportPipeline(there, [file(generated.json)], { importer: importExport, batchSize: 7, commit: writer.commit });
      expect(row?.status).toBe('complete');
      expect(row?.counts.created).toBe(generated.activeNodes + generated.inactiveNodes);
    } finally {
      close();
    }
    const a = (await snapshot(here)) as { stats: { generation: string } };
    const b = (await snapshot(there)) as { stats: { generation: string } };
    // Each vault names its own index generation; everything else matches.
    expect({ ...b, stats: { ...b.stats, generation: '' } }).toEqual({ ...a, stats: { ...a.stats, generation: '' } });
    // The segments built before the transaction (here on the pipeline thread, there sent to the writer, which cut
    // the chunks itself) record the chunk each node went to.
    expect(await expectChunksRecorded(here)).toBe(generated.activeNodes + generated.inactiveNodes);
    expect(await expectChunksRecorded(there)).toBe(generated.activeNodes + generated.inactiveNodes);
  });

  it('importing the same file again through the writer adds nothing (the run knows what the writer stored)', async () => {
    const db = await freshDb();
    const { writer, close } = channelWriter(db.name);
    try {
      await runImportPipeline(db, [file(generated.json)], { importer: importExport, batchSize: 9, commit: writer.commit });
      const nodes = await db.nodes.count();
      const [again] = await runImportPipeline(db, [file(generated.json, 5000)], { importer: importExport, batchSize: 9, commit: writer.commit });
      expect(again?.status).toBe('complete');
      expect(again?.counts.created).toBe(0);
      expect(await db.nodes.count()).toBe(nodes);
    } finally {
      close();
    }
  });

  it('a malformed commit is refused with BAD_REQUEST and nothing is written', async () => {
    const db = await freshDb();
    const { port1, port2 } = new MessageChannel();
    serveBatchWriter(port2, () => Promise.resolve(db));
    port1.start();
    port2.start();
    const answer = new Promise<unknown>((resolve) => port1.addEventListener('message', (event) => resolve(event.data), { once: true }));
    port1.postMessage({ type: 'commit', id: 3, database: db.name, importId: 1, batch: { items: 'all of them' }, prepared: {}, timing: { parseMs: 0, now: 0 }, known: [] });
    const parsed = fromWriterSchema.parse(await answer);
    expect(parsed).toMatchObject({ type: 'failed', id: 3, error: { code: 'BAD_REQUEST' } });
    expect(await db.nodes.count()).toBe(0);
    port1.close();
    port2.close();
  });

  it('cancelling a run that commits through the writer keeps whole conversations only', async () => {
    const whole = await freshDb();
    await runImportPipeline(whole, [file(generated.json)], { importer: importExport, batchSize: 5 });
    const expected = new Map<string, number>();
    for (const node of await whole.nodes.all()) expected.set(node.conversationId, (expected.get(node.conversationId) ?? 0) + 1);

    const db = await freshDb();
    const { writer, close } = channelWriter(db.name);
    const controller = new AbortController();
    let batches = 0;
    try {
      const [row] = await runImportPipeline(db, [file(generated.json)], {
        importer: importExport,
        batchSize: 5,
        signal: controller.signal,
        commit: (...args) => {
          if (++batches === 3) controller.abort();
          return writer.commit(...args);
        },
      });
      expect(row?.status).toBe('cancelled');
    } finally {
      close();
    }
    const stored = await db.conversations.toArray();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(expected.size);
    for (const conversation of stored) {
      expect((await db.nodes.idsOfConversation(conversation.id)).length, conversation.id).toBe(expected.get(conversation.id) ?? 0);
    }
  });

  it('compactAtEnd false returns before the merge; search answers the same before and after the caller merges', async () => {
    const db = await freshDb();
    const [row] = await runImportPipeline(db, [file(generated.json)], { importer: importExport, batchSize: 4, compactAtEnd: false });
    expect(row?.status).toBe('complete');
    const segments = async (): Promise<number> => {
      const perPart = new Map<string, number>();
      for (const [part] of await db.searchIndex.toCollection().primaryKeys()) if (part !== 'stats' && part !== 'titles') perPart.set(part, (perPart.get(part) ?? 0) + 1);
      return Math.max(...perPart.values());
    };
    expect(await segments()).toBeGreaterThan(COMPACT_AFTER_SEGMENTS);
    const before = await snapshot(db);
    await compactSearchIndex(db, { minSegments: COMPACT_AFTER_SEGMENTS });
    expect(await segments()).toBe(1);
    const after = (await snapshot(db)) as { stats: object };
    expect({ ...after, stats: null }).toEqual({ ...(before as object), stats: null });
  });

  /**
   * Imports the generated file through a writer over `channel`, falling back to commits here, and loses the writer at
   * commit number `at` (before or after that commit was handed to it). Returns the import row and the commits asked.
   */
  async function importLosingWriter(db: VaultDatabase, channel: ReturnType<typeof channelWriter>, at: number, when: 'before' | 'after', detail: string) {
    const writer = fallingBack(channel.writer, commitHere(db));
    let commits = 0;
    try {
      const [row] = await runImportPipeline(db, [file(generated.json)], {
        importer: importExport,
        batchSize: 7,
        commit: (...args) => {
          const lose = ++commits === at;
          if (lose && when === 'before') writer.lost(new AppError('IMPORT_WRITER_FAILED', { detail }));
          const commit = writer.commit(...args);
          if (lose && when === 'after') writer.lost(new AppError('IMPORT_WRITER_FAILED', { detail }));
          return commit;
        },
      });
      return { row, commits };
    } finally {
      channel.close();
    }
  }

  it('a writer lost before it ever answered hands its batches to the commits on the pipeline thread, and the import completes', async () => {
    const db = await freshDb();
    const { row, commits } = await importLosingWriter(db, channelWriter(db.name, false), 1, 'after', 'the writer worker failed to start');
    expect(row?.status).toBe('complete');
    expect(commits).toBeGreaterThan(1);
    expect(await db.nodes.count()).toBe(generated.activeNodes + generated.inactiveNodes);
  });

  it('a writer lost after it answered fails the import with a sentence that says to pick the file again', async () => {
    const db = await freshDb();
    const { row } = await importLosingWriter(db, channelWriter(db.name), 3, 'before', 'the writer worker died');
    expect(row?.status).toBe('failed');
    expect(row?.error?.code).toBe('IMPORT_WRITER_FAILED');
    expect(row?.error?.message).toMatch(/Pick the file again/);
  });
});
