// The warm snapshot (web/src/search/warm-snapshot.ts): the keyword index's postings rows in one Blob, which the
// warm-up reads in one request. Its format round-trips real segment rows and refuses anything else; the reader takes
// only rows the index still lists in the same generation, and writes a new snapshot when the old one held too little.
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportBatch } from '../../shared/import';
import { NODE_TABLES } from '../../web/src/db/node-store';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { commitImportBatch, createImportRow } from '../../web/src/db/import-writes';
import { toNodeRow } from '../../web/src/db/vault-writes';
import { buildSegment, compactSearchIndex, KeywordIndexReader, nodeToIndexDoc, postingsFor, removeFromSearchIndex, writeWarmSnapshot, type PostingsRow } from '../../web/src/search/keyword-index';
import { KeywordSearch } from '../../web/src/search/keyword-search';
import { packPostings, unpackPostings, WARM_SNAPSHOT_ID } from '../../web/src/search/warm-snapshot';
import { textBatch, textConversation, textNode } from './text-batch';

const WORDS = ['tide', 'harbour', 'kayak', 'lantern', 'sourdough', 'Lántern', '東京', 'roll', 'ebb', 'flood', 'chart', 'buoy'];

function texts(n: number, seed: number): string[] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: 6 + ((i * 7 + seed) % 9) }, (_, k) => WORDS[(i * 31 + k * 17 + seed) % WORDS.length]).join(' '));
}

function segmentRows(seed: number): PostingsRow[] {
  const id = `grok:snap-${seed}`;
  const nodes = texts(40, seed).map((text, k) => toNodeRow(textNode(id, k, seed * 1000 + k + 1, `Question ${k} ${WORDS[k % WORDS.length]}`, text), seed * 1000 + k + 1));
  return buildSegment(nodes.map((node) => nodeToIndexDoc(node)), seed).rows.filter((row): row is PostingsRow => row.kind === 'postings');
}

function keysOf(row: PostingsRow): string[] {
  return row.keys === '' ? [] : row.keys.split('\n');
}

describe('the warm snapshot format', () => {
  it('round-trips segment rows, with positions and without, into views the decoder reads alike', async () => {
    const withPositions = segmentRows(1);
    expect(withPositions.some((row) => row.positions !== undefined)).toBe(true);
    const withoutPositions = segmentRows(2).map(({ positions: _p, positionOffsets: _o, ...row }): PostingsRow => row);
    const rows = [...withPositions, ...withoutPositions];
    const snapshot = packPostings(rows, 7);
    expect(snapshot).toMatchObject({ id: WARM_SNAPSHOT_ID, generation: 7, rows: rows.length });
    const buffer = await snapshot.blob.arrayBuffer();
    expect(buffer.byteLength).toBe(snapshot.bytes);
    const back = unpackPostings(buffer);
    expect(back).not.toBeNull();
    expect(back?.length).toBe(rows.length);
    for (const [i, row] of rows.entries()) {
      const copy = back?.[i];
      expect(copy?.part).toBe(row.part);
      expect(copy?.seg).toBe(row.seg);
      expect(copy?.keys).toBe(row.keys);
      expect([...(copy?.offsets ?? [])]).toEqual([...row.offsets]);
      expect([...(copy?.data ?? [])]).toEqual([...row.data]);
      expect(copy?.positions === undefined).toBe(row.positions === undefined);
      expect([...(copy?.positions ?? [])]).toEqual([...(row.positions ?? [])]);
      expect([...(copy?.positionOffsets ?? [])]).toEqual([...(row.positionOffsets ?? [])]);
      if (!copy) continue;
      for (const key of keysOf(row)) expect(postingsFor(copy, key)).toEqual(postingsFor(row, key));
    }
  });

  it('refuses what it did not write: another start, a cut anywhere, a header of another shape, offsets past their data', async () => {
    const buffer = await packPostings(segmentRows(3), 1).blob.arrayBuffer();
    const bytes = new Uint8Array(buffer);
    const other = bytes.slice();
    other[3] = 0x32; // "CZW2"
    expect(unpackPostings(other.buffer)).toBeNull();
    for (let cut = 0; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 97))) expect(unpackPostings(bytes.slice(0, cut).buffer)).toBeNull();
    const header = (json: string): ArrayBuffer => {
      const head = new TextEncoder().encode(json);
      const out = new Uint8Array(8 + head.length);
      out.set([0x43, 0x5a, 0x57, 0x31]);
      new DataView(out.buffer).setUint32(4, head.length, true);
      out.set(head, 8);
      return out.buffer;
    };
    expect(unpackPostings(header('{"rows":[["p1",1,"x",0,0,-1,-1]]}'))).toBeNull();
    expect(unpackPostings(header('not json'))).toBeNull();
    expect(unpackPostings(header('{"rows":[]}'))).toEqual([]);
    // A row whose last offset points past its data: one data byte, offsets [0, 5].
    const head = new TextEncoder().encode('{"rows":[["p1",1,1,2,1,-1,-1]]}');
    const body = 8 + head.length + ((4 - ((8 + head.length) % 4)) % 4);
    const out = new Uint8Array(body + 4 + 8 + 4);
    out.set([0x43, 0x5a, 0x57, 0x31]);
    new DataView(out.buffer).setUint32(4, head.length, true);
    out.set(head, 8);
    out[body] = 0x61; // key "a", then 3 bytes of padding
    new DataView(out.buffer).setUint32(body + 4, 0, true);
    new DataView(out.buffer).setUint32(body + 8, 5, true);
    expect(unpackPostings(out.buffer)).toBeNull();
    new DataView(out.buffer).setUint32(body + 8, 1, true);
    expect(unpackPostings(out.buffer)?.[0]?.keys).toBe('a');
  });
});

function batch(conversation: number, count: number): ImportBatch {
  const id = `grok:harbour-${conversation}`;
  return textBatch([textConversation(id, `Harbour ${conversation}`, texts(count, conversation).map((text, k) => textNode(id, k, conversation * 1000 + k + 1, `Question ${k} about ${WORDS[(k + conversation) % WORDS.length]}`, text)))]);
}

let db: VaultDatabase;
let importId: number;
const name = `search-warm-snapshot-test-${process.pid}`;

beforeAll(async () => {
  db = await openVaultDatabase({ name });
  importId = await createImportRow(db, { fileName: 'harbour.json', status: 'processing', bytes: 1, fileKey: 'k', now: 1 });
  for (let c = 1; c <= 3; c++) await commitImportBatch(db, importId, batch(c, 30), { parseMs: 0, now: 2 });
  await compactSearchIndex(db, { minSegments: 1 });
});

afterAll(async () => {
  db.close();
  await Dexie.delete(name);
});

function reader(idleMs = 0): KeywordIndexReader {
  return new KeywordIndexReader(() => db.searchIndex, Number.POSITIVE_INFINITY, { store: () => db.warmSnapshots, idleMs });
}

async function postingsRowCount(): Promise<number> {
  const keys = await db.searchIndex.toCollection().primaryKeys();
  return keys.filter(([part]) => /^[pg]\d/.test(part)).length;
}

async function docsWith(r: KeywordIndexReader, term: string): Promise<number[]> {
  const byField = await r.postings(term, ['h', 'a'], r.pendingSegments(r.stats()));
  return [...byField.values()].flat().flatMap((list) => [...list.docIds]).sort((a, b) => a - b);
}

describe('the warm-up with a snapshot store', () => {
  it('writes a snapshot after reading the rows one by one; the next reader takes every postings row from it, with the same postings', async () => {
    const first = reader();
    await first.warm(await first.stats());
    expect(first.counters.snapshotRows).toBe(0);
    expect(first.counters.snapshotsWritten).toBe(1);
    const rows = await postingsRowCount();
    expect(rows).toBeGreaterThan(1);
    expect((await db.warmSnapshots.get(WARM_SNAPSHOT_ID))?.rows).toBe(rows);

    const second = reader();
    await second.warm(await second.stats());
    expect(second.counters.snapshotRows).toBe(rows);
    // No postings row was read from the index: every one came from the snapshot.
    expect(second.counters.rowsFetched).toBe(0);
    expect(second.counters.snapshotsWritten).toBe(0);
    const plain = new KeywordIndexReader(() => db.searchIndex, Number.POSITIVE_INFINITY);
    for (const word of ['tide', 'kayak', 'lantern', '東京', 'question', 'harbour']) expect(await docsWith(second, word)).toEqual(await docsWith(plain, word));
    const fetchedBefore = second.counters.rowsFetched;
    await docsWith(second, 'buoy');
    expect(second.counters.rowsFetched).toBe(fetchedBefore);
  });

  it('after an import and a compaction takes only the rows still listed, reads the rest, and writes a fresh snapshot', async () => {
    await commitImportBatch(db, importId, batch(4, 30), { parseMs: 0, now: 3 });
    await compactSearchIndex(db, { minSegments: 1 });
    const stale = reader();
    await stale.warm(await stale.stats());
    expect(stale.counters.snapshotRows).toBeLessThan(await postingsRowCount());
    expect(stale.counters.rowsFetched).toBe((await postingsRowCount()) - stale.counters.snapshotRows);
    expect(stale.counters.snapshotsWritten).toBe(1);
    const fresh = reader();
    await fresh.warm(await fresh.stats());
    expect(fresh.counters.snapshotRows).toBe(await postingsRowCount());
    expect(fresh.counters.rowsFetched).toBe(0);
    const plain = new KeywordIndexReader(() => db.searchIndex, Number.POSITIVE_INFINITY);
    expect(await docsWith(fresh, 'kayak')).toEqual(await docsWith(plain, 'kayak'));
  });

  it('is written by writeWarmSnapshot after an import merged its rows: the next session reads no postings row one by one', async () => {
    await commitImportBatch(db, importId, batch(5, 30), { parseMs: 0, now: 4 });
    await compactSearchIndex(db, { minSegments: 1 });
    expect(await writeWarmSnapshot(() => db.searchIndex, () => db.warmSnapshots)).toBe(true);
    const rows = await postingsRowCount();
    expect((await db.warmSnapshots.get(WARM_SNAPSHOT_ID))?.rows).toBe(rows);
    // Already fresh: nothing written again.
    expect(await writeWarmSnapshot(() => db.searchIndex, () => db.warmSnapshots)).toBe(false);
    const next = reader();
    await next.warm(await next.stats());
    expect(next.counters.snapshotRows).toBe(rows);
    expect(next.counters.rowsFetched).toBe(0);
    expect(next.counters.snapshotsWritten).toBe(0);
    const plain = new KeywordIndexReader(() => db.searchIndex, Number.POSITIVE_INFINITY);
    for (const word of ['harbour', 'kayak', '東京']) expect(await docsWith(next, word)).toEqual(await docsWith(plain, word));
  });

  it('takes nothing from a snapshot of another generation (a deletion), and answers searches as without one', async () => {
    const before = (await db.warmSnapshots.get(WARM_SNAPSHOT_ID))?.generation;
    await db.transaction('rw', [...NODE_TABLES], () => removeFromSearchIndex(db.searchIndex, [1001]));
    const after = reader();
    const stats = await after.stats();
    expect(stats.generation).not.toBe(before);
    await after.warm(stats);
    expect(after.counters.snapshotRows).toBe(0);
    expect(after.counters.snapshotsWritten).toBe(1);
    expect((await db.warmSnapshots.get(WARM_SNAPSHOT_ID))?.generation).toBe(stats.generation);

    const withSnapshot = new KeywordSearch(db, { warmIndex: true });
    const without = new KeywordSearch({ searchIndex: db.searchIndex, nodes: db.nodes, conversations: db.conversations }, { warmIndex: true });
    for (const query of ['kayak tide', '"harbour 2"', 'lant', 'question about buoy']) {
      const a = await withSnapshot.search(query, {}, 20);
      expect(a.length).toBeGreaterThan(0);
      expect(a.map((hit) => [hit.nodeId, hit.score])).toEqual((await without.search(query, {}, 20)).map((hit) => [hit.nodeId, hit.score]));
    }
  });

  it('a snapshot this code cannot read is left: the rows are read one by one and a new snapshot replaces it', async () => {
    const stats = await reader().stats();
    await db.warmSnapshots.put({ id: WARM_SNAPSHOT_ID, generation: stats.generation, rows: 1, bytes: 4, blob: new Blob([new Uint8Array([1, 2, 3, 4])]) });
    const r = reader();
    await r.warm(await r.stats());
    expect(r.counters.snapshotRows).toBe(0);
    expect(r.counters.snapshotsWritten).toBe(1);
    const again = reader();
    await again.warm(await again.stats());
    expect(again.counters.snapshotRows).toBe(await postingsRowCount());
    expect(again.counters.rowsFetched).toBe(0);
  });
});
