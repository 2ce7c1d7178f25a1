// The browser import pipeline (web/src/import/pipeline.ts) run in node on fake-indexeddb with the real shared
// importer: real generated ChatGPT exports and the sample fixtures go in, the vault and the import rows come out.
import 'fake-indexeddb/auto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importExport } from '../../shared/import';
import type { VaultDatabase } from '../../web/src/db/database';
import { runImportPipeline, type ImportFileInput, type PipelineEvent } from '../../web/src/import/pipeline';
import { SearchService } from '../../web/src/search/search';
import { getConversation } from '../../web/src/vault/conversations';
import { describeImport, importHistory } from '../../web/src/vault/imports';
import { markInterruptedImports } from '../../web/src/db/import-writes';
import { generateExport } from '../support/generate-chatgpt';
import { pickedFile } from '../support/picked-file';
import { FIXTURES, HAS_FIXTURES } from './import-providers-harness';
import { useFreshDatabases } from './fresh-db';

const freshDb = useFreshDatabases('pipeline');

/** A picked file whose stream hands out small chunks, as a browser does for a large file (so batches are many). */
const file = (text: string, name?: string, chunkBytes?: number): ImportFileInput => pickedFile(text, name, chunkBytes);

/** Every stored conversation has exactly the nodes the importer produced for it: nothing half-written. */
async function expectWholeConversations(db: VaultDatabase, expectedNodes: Map<string, number>): Promise<void> {
  for (const conversation of await db.conversations.toArray()) {
    const stored = (await db.nodes.ofConversation(conversation.id)).length;
    expect(stored, conversation.id).toBe(expectedNodes.get(conversation.id));
  }
}

describe('import pipeline on a generated ChatGPT export', () => {
  const generated = generateExport({ seed: 7, conversations: 40 });
  const totalNodes = generated.activeNodes + generated.inactiveNodes;

  it('imports every conversation and node, and the import row tells the truth', async () => {
    const db = await freshDb();
    const events: PipelineEvent[] = [];
    const [row] = await runImportPipeline(db, [file(generated.json)], { importer: importExport, onEvent: (e) => events.push(e), batchSize: 8 });
    expect(row?.status).toBe('complete');
    expect(row?.provider).toBe('chatgpt');
    expect(row?.counts.created).toBe(totalNodes);
    expect(row?.counts.conversationsCreated).toBe(generated.conversations);
    expect(await db.conversations.count()).toBe(generated.conversations);
    expect(await db.nodes.count()).toBe(totalNodes);
    expect((await db.nodes.all()).filter((n) => n.isActive === 1)).toHaveLength(generated.activeNodes);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ totalBytes: new TextEncoder().encode(generated.json).length });
    // The reader shows the active thread in order and the regenerated answers as branches.
    const first = (await db.conversations.orderBy('id').first())!;
    const view = await getConversation(db, first.id);
    expect(view?.thread.map((n) => n.ordinal)).toEqual(view?.thread.map((_, i) => i));
    // The raw export record is kept, but apart from the light row the list reads.
    expect('raw' in view!.conversation).toBe(false);
    expect((await db.conversationRaws.get(first.id))?.raw).toContain('"mapping"');
  });

  it('finds imported words with keyword search, with snippets that point at the words', async () => {
    const db = await freshDb();
    await runImportPipeline(db, [file(generated.json)], { importer: importExport });
    const search = new SearchService(db);
    const response = await search.search('schema memory ', { limit: 5 });
    expect(response.results.length).toBe(5);
    for (const result of response.results) {
      const marked = result.snippet.ranges.map(([s, e]) => result.snippet.text.slice(s, e).toLowerCase());
      expect(marked.some((m) => m === 'schema' || m === 'memory')).toBe(true);
    }
  });

  it('importing the same file twice adds nothing and says so', async () => {
    const db = await freshDb();
    await runImportPipeline(db, [file(generated.json)], { importer: importExport });
    const [again] = await runImportPipeline(db, [file(generated.json)], { importer: importExport });
    expect(again?.status).toBe('complete');
    expect(again?.counts.created).toBe(0);
    expect(again?.counts.deduplicated).toBe(totalNodes);
    expect(await db.nodes.count()).toBe(totalNodes);
    expect(describeImport(again!)).toContain(`${totalNodes.toLocaleString('en')} duplicates, nothing new`);
    expect((await importHistory(db)).map((r) => r.status)).toEqual(['complete', 'complete']);
  });

  it('a later cumulative export adds exactly the new exchanges', async () => {
    const db = await freshDb();
    await runImportPipeline(db, [file(generated.json)], { importer: importExport });
    const later = generateExport({ seed: 7, conversations: 40, grow: 2, extraConversations: 3 });
    const [row] = await runImportPipeline(db, [file(later.json)], { importer: importExport });
    const laterTotal = later.activeNodes + later.inactiveNodes;
    expect(row?.counts.created).toBe(laterTotal - totalNodes);
    expect(row?.counts.conversationsCreated).toBe(3);
    expect(await db.nodes.count()).toBe(laterTotal);
  });

  it('a conversation too large to read is skipped with a sentence, and the rest is imported', async () => {
    const db = await freshDb();
    const sizes = (JSON.parse(generated.json) as unknown[]).map((c) => JSON.stringify(c).length);
    const limit = [...sizes].sort((a, b) => a - b)[Math.floor(sizes.length / 2)] ?? 0;
    const tooLarge = sizes.filter((size) => size > limit + 64).length;
    const [row] = await runImportPipeline(db, [file(generated.json)], { importer: importExport, limits: { maxRecordBytes: limit + 64 } });
    expect(tooLarge).toBeGreaterThan(0);
    expect(row?.status).toBe('complete');
    expect(row?.notices.map((n) => n.code)).toEqual(['IMPORT_RECORD_TOO_LARGE']);
    expect(row?.counts.skipped).toBeGreaterThanOrEqual(1);
    expect(await db.conversations.count()).toBeLessThan(generated.conversations);
    expect(await db.conversations.count()).toBeGreaterThanOrEqual(generated.conversations - tooLarge - 1);
  });

  it('several files in one go get one import row each', async () => {
    const db = await freshDb();
    const other = generateExport({ seed: 99, conversations: 5 });
    const rows = await runImportPipeline(db, [file(generated.json, 'a.json'), file(other.json, 'b.json')], { importer: importExport });
    expect(rows.map((r) => [r.fileName, r.status])).toEqual([
      ['a.json', 'complete'],
      ['b.json', 'complete'],
    ]);
    expect(await db.nodes.count()).toBe(totalNodes + other.activeNodes + other.inactiveNodes);
  });

  it('progress follows the bytes read from the first chunk, before the first batch is committed', async () => {
    const db = await freshDb();
    const events: Extract<PipelineEvent, { type: 'progress' }>[] = [];
    // One batch holds the whole file, as for a typical export: only bytes read can move the bar before the end.
    await runImportPipeline(db, [file(generated.json)], { importer: importExport, batchSize: 10_000, onEvent: (e) => e.type === 'progress' && events.push(e) });
    const total = new TextEncoder().encode(generated.json).length;
    expect(events[0]?.conversations).toBe(0);
    expect(events[0]?.bytesRead).toBeGreaterThan(0);
    expect(events[0]?.bytesRead).toBeLessThan(total);
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytesRead).toBeGreaterThanOrEqual(events[i - 1]!.bytesRead);
    expect(events.at(-1)).toMatchObject({ bytesRead: total, totalBytes: total, conversations: generated.conversations });
  });

  it('cancel leaves whole conversations only, and picking the file again finishes the job', async () => {
    const db = await freshDb();
    const controller = new AbortController();
    const perConversation = new Map<string, number>();
    const [cancelled] = await runImportPipeline(db, [file(generated.json)], {
      importer: importExport,
      batchSize: 4,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'progress' && event.conversations >= 12) controller.abort();
      },
    });
    expect(cancelled?.status).toBe('cancelled');
    expect(cancelled?.error?.code).toBe('IMPORT_CANCELLED');
    const kept = await db.conversations.count();
    expect(kept).toBeGreaterThanOrEqual(12);
    expect(kept).toBeLessThan(generated.conversations);

    const [resumed] = await runImportPipeline(db, [file(generated.json)], { importer: importExport, batchSize: 4 });
    expect(resumed?.id).toBe(cancelled?.id);
    expect(resumed?.status).toBe('complete');
    expect(resumed?.counts.created).toBe(totalNodes);
    expect(await db.nodes.count()).toBe(totalNodes);
    for (const c of await db.conversations.toArray()) {
      const view = (await getConversation(db, c.id))!;
      perConversation.set(c.id, view.thread.length + view.branches.reduce((n, b) => n + b.nodes.length, 0));
    }
    await expectWholeConversations(db, perConversation);
  });

  it('a tab closed mid-import leaves committed batches whole, is marked interrupted, and resumes', async () => {
    const name = `pipeline-closed-${process.pid}`;
    const db = await freshDb(name);
    let batches = 0;
    let conversationsShown = 0;
    const [row] = await runImportPipeline(db, [file(generated.json)], {
      importer: importExport,
      batchSize: 4,
      onEvent: (event) => {
        // Closing the connection is what a closed tab does to the worker's writes. Progress also reports bytes
        // read between batches: count only the events a committed batch sends (its conversations move on).
        if (event.type !== 'progress' || event.conversations === conversationsShown) return;
        conversationsShown = event.conversations;
        if (++batches === 3) db.close();
      },
    }).catch(() => [undefined]);
    expect(row?.status ?? 'processing').not.toBe('complete');

    const reopened = await freshDb(name);
    const stuck = await reopened.imports.toArray();
    expect(stuck.map((r) => r.status)).toEqual(['processing']);
    expect(await markInterruptedImports(reopened, Date.now())).toBe(1);
    const [interrupted] = await importHistory(reopened);
    expect(interrupted?.status).toBe('interrupted');
    expect(describeImport(interrupted!)).toContain('pick the same file again');
    const committedConversations = await reopened.conversations.count();
    expect(committedConversations).toBe(12);

    const [resumed] = await runImportPipeline(reopened, [file(generated.json)], { importer: importExport, batchSize: 4 });
    expect(resumed?.status).toBe('complete');
    expect(await reopened.nodes.count()).toBe(totalNodes);
    expect(await reopened.conversations.count()).toBe(generated.conversations);
  });
});

describe.skipIf(!HAS_FIXTURES)('import pipeline on the sample exports (../shared/fixtures)', () => {
  const files = HAS_FIXTURES
    ? readdirSync(FIXTURES, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .flatMap((d) => readdirSync(join(FIXTURES, d.name)).map((f) => join(FIXTURES, d.name, f)))
    : [];

  // The grok.com web-API capture is not an export (shared importer tests say so too): it must fail cleanly.
  const notExports = files.filter((f) => f.includes('grok_native-bundle'));

  it.each(notExports)('%s is refused with a sentence and leaves the vault unchanged', async (path) => {
    const db = await freshDb();
    const [row] = await runImportPipeline(db, [file(readFileSync(path, 'utf8'), 'bundle.json')], { importer: importExport });
    expect(row?.status).toBe('failed');
    expect(row?.error?.code).toBe('IMPORT_NOT_AN_EXPORT');
    expect(describeImport(row!)).toContain('does not look like a chat export');
    expect([await db.nodes.count(), await db.conversations.count(), await db.searchIndex.count()]).toEqual([0, 0, 0]);
  });

  it.each(files.filter((f) => !notExports.includes(f)))('%s imports completely and a second import adds nothing', async (path) => {
    const db = await freshDb();
    const input = file(readFileSync(path, 'utf8'), path.split('/').at(-1));
    const [first] = await runImportPipeline(db, [input], { importer: importExport });
    expect(first?.error ?? null).toBeNull();
    expect(first?.status).toBe('complete');
    expect(first?.counts.created).toBeGreaterThan(0);
    expect(await db.nodes.count()).toBe(first?.counts.created);
    const [second] = await runImportPipeline(db, [input], { importer: importExport });
    expect(second?.counts.created).toBe(0);
    expect(await db.nodes.count()).toBe(first?.counts.created);
  });
});
