// The app restores its own backup: a vault filled through the real import pipeline is exported with the real
// exporter, wiped, and the JSON file imported through the same pipeline; every conversation, raw record, node (all
// branches, hidden parts) and the import history must come back unchanged. Runs on fake-indexeddb.
import 'fake-indexeddb/auto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { importExport } from '../../shared/import';
import type { ImportRow, VaultDatabase } from '../../web/src/db/database';
import { runImportPipeline, type ImportFileInput } from '../../web/src/import/pipeline';
import { exportVaultJson, exportVaultMarkdown } from '../../web/src/vault/export';
import { importHistory } from '../../web/src/vault/imports';
import { generateExport } from '../support/generate-chatgpt';
import { FIXTURES, HAS_FIXTURES } from './import-providers-harness';
import { useFreshDatabases } from './fresh-db';
import { pickedFile } from '../support/picked-file';

const freshDb = useFreshDatabases('backup');

const fileOf = (bytes: Uint8Array, name: string): ImportFileInput => pickedFile(bytes, name, 16 * 1024);

async function blobFile(blob: Blob, name: string): Promise<ImportFileInput> {
  return fileOf(new Uint8Array(await blob.arrayBuffer()), name);
}

let clock = Date.UTC(2026, 0, 1);
const now = (): number => (clock += 1000);

async function importFiles(db: VaultDatabase, files: readonly ImportFileInput[]): Promise<ImportRow[]> {
  return runImportPipeline(db, files, { importer: importExport, now });
}

/** Everything a backup must carry, in a form to compare (device-local numbering left out). */
async function snapshot(db: VaultDatabase): Promise<{ conversations: unknown[]; raws: unknown[]; nodes: unknown[] }> {
  const conversations = await db.conversations.orderBy('id').toArray();
  const raws = await db.conversationRaws.orderBy('id').toArray();
  const nodes = (await db.nodes.all()).sort((x, y) => (x.id < y.id ? -1 : 1)).map(({ docId: _docId, ...node }) => node);
  return { conversations, raws, nodes };
}

/** An import row as the history shows it, without what is local to one run (row id, resume point). */
function historyEntry(row: ImportRow): Omit<ImportRow, 'id' | 'checkpoint'> {
  const { id: _id, checkpoint: _checkpoint, ...rest } = row;
  return rest;
}

const SOURCES: readonly ImportFileInput[] = [
  fileOf(new TextEncoder().encode(generateExport({ seed: 21, conversations: 30 }).json), 'conversations.json'),
  ...(HAS_FIXTURES
    ? readdirSync(FIXTURES, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .flatMap((d) => readdirSync(join(FIXTURES, d.name)).map((f) => join(FIXTURES, d.name, f)))
        .filter((path) => /\.(json|csv|html?)$/i.test(path))
        .map((path) => fileOf(new Uint8Array(readFileSync(path)), path.split('/').pop() ?? path))
    : []),
];

describe('the JSON export is a backup the app restores', () => {
  it('export, wipe, import: conversations, raw records, nodes of every branch with hidden parts, and the import history come back', async () => {
    const original = await freshDb();
    const rows = await importFiles(original, SOURCES);
    expect(rows.some((row) => row.status === 'complete')).toBe(true);
    const before = await snapshot(original);
    // The vault under test really has what must survive: branches and hidden parts.
    expect(before.nodes.some((n) => (n as { active: boolean }).active === false)).toBe(true);
    expect(before.nodes.some((n) => Object.values((n as { extras: Record<string, unknown[]> }).extras).some((part) => part.length > 0))).toBe(true);
    const historyBefore = (await importHistory(original)).map(historyEntry);
    expect(historyBefore.length).toBe(SOURCES.length);

    const backup = await exportVaultJson(original, now());
    original.close();
    await Dexie.delete(original.name);

    const restored = await freshDb();
    const [restoreRow] = await importFiles(restored, [await blobFile(backup, 'cogzy-vault-2026-01-01.json')]);
    expect(restoreRow?.status).toBe('complete');
    expect(restoreRow?.counts.created).toBe(before.nodes.length);
    expect(restoreRow?.counts.skipped).toBe(0);

    expect(await snapshot(restored)).toEqual(before);
    // The history holds every earlier import as it was, plus the restore itself (newest first).
    const historyAfter = await importHistory(restored);
    expect(historyAfter[0]?.fileName).toBe('cogzy-vault-2026-01-01.json');
    expect(historyAfter.slice(1).map(historyEntry)).toEqual(historyBefore);

    // Restoring the same backup again adds nothing and does not double the history.
    const [again] = await importFiles(restored, [await blobFile(backup, 'cogzy-vault-2026-01-01.json')]);
    expect(again?.counts.created).toBe(0);
    expect(again?.counts.deduplicated).toBe(before.nodes.length);
    expect(await importHistory(restored)).toHaveLength(historyAfter.length + 1);
  });

  it('a version 1 backup (conversations only) still restores', async () => {
    const original = await freshDb();
    await importFiles(original, SOURCES.slice(0, 1));
    const before = await snapshot(original);
    const v2 = JSON.parse(await (await exportVaultJson(original, now())).text()) as { imports: unknown; version: number };
    const { imports: _imports, ...v1 } = { ...v2, version: 1 };
    const restored = await freshDb();
    const [row] = await importFiles(restored, [fileOf(new TextEncoder().encode(JSON.stringify(v1)), 'old-backup.json')]);
    expect(row?.status).toBe('complete');
    expect(await snapshot(restored)).toEqual(before);
  });

  it('the Markdown export says it is for reading and points to the JSON backup', async () => {
    const original = await freshDb();
    await importFiles(original, SOURCES.slice(0, 1));
    const [row] = await importFiles(await freshDb(), [await blobFile(await exportVaultMarkdown(original, now()), 'cogzy-vault-markdown.zip')]);
    expect(row?.status).toBe('failed');
    expect(row?.error?.code).toBe('IMPORT_MARKDOWN_EXPORT');
    expect(row?.error?.message).toContain('JSON backup');
  });
});
