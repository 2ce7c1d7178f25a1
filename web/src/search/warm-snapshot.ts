/**
 * The keyword index's postings rows packed into one Blob, kept beside the index, so a vault opened again reads its
 * whole index in one request instead of one per row (KeywordIndexReader.warm adopts it, and writes a new one when it
 * covered too little of the index; the import worker writes one after its merge through writeWarmSnapshot).
 *
 * Why: measured at 100k exchanges in Chromium (bench/search.bench.ts), reading the index's 512 postings rows (40 MB)
 * took 1.4 s, four rows at a time or in one getAll alike (IndexedDB's cost is per row far more than per byte); the
 * same 40 MB as one Blob in IndexedDB read in 0.2 s. While the rows are read, a query's own reads wait behind them:
 * the ~130 queries of the bench that ran then were most of its slowest.
 *
 * A cache, never the truth: segments are immutable (a [part, seg] key always names the same postings within an
 * index generation), so a row of the snapshot is used only when the index still lists its key and the snapshot's
 * generation is the index's; anything else is read from the index as before.
 *
 *   WARM_SNAPSHOT_ID                                        the row's key in the `warmSnapshots` table
 *   interface WarmSnapshotRow { id, generation, rows, bytes, blob }
 *   interface WarmSnapshotStore { get(id), put(row) }       the table (a Dexie Table is one)
 *   packPostings(rows, generation): WarmSnapshotRow
 *   unpackPostings(buffer): PostingsRow[] | null            null: not a snapshot this code wrote
 *
 * Layout: "CZW1", the header's byte length (u32), the header (JSON: per row its part, seg and section sizes), then
 * per row its keys (UTF-8), offsets, data, positions and position offsets, each Uint32 section at a multiple of 4
 * bytes (views into the one buffer, no copy).
 */
import { z } from 'zod';
import type { PostingsRow } from './keyword-index';

export const WARM_SNAPSHOT_ID = 'postings';

export interface WarmSnapshotRow {
  id: string;
  /** The index generation (StatsRow.generation) its rows belong to. */
  generation: number;
  rows: number;
  bytes: number;
  blob: Blob;
}

export interface WarmSnapshotStore {
  get(id: string): Promise<WarmSnapshotRow | undefined>;
  put(row: WarmSnapshotRow): Promise<unknown>;
}

const MAGIC = [0x43, 0x5a, 0x57, 0x31]; // "CZW1"

/** Per row: part, seg, key bytes, offsets (u32 count), data bytes, positions bytes and position offsets (-1: none). */
const headerSchema = z.object({
  rows: z.array(z.tuple([z.string().min(1), z.number().int(), z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().min(-1), z.number().int().min(-1)])),
});

function padding(length: number): number {
  return (4 - (length % 4)) % 4;
}

export function packPostings(rows: readonly PostingsRow[], generation: number): WarmSnapshotRow {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const header: z.infer<typeof headerSchema>['rows'] = [];
  let at = 0;
  const push = (bytes: Uint8Array): void => {
    parts.push(bytes);
    at += bytes.byteLength;
  };
  const align = (): void => {
    const pad = padding(at);
    if (pad > 0) push(new Uint8Array(pad));
  };
  const body: (() => void)[] = [];
  for (const row of rows) {
    const keys = encoder.encode(row.keys);
    const positions = row.positions !== undefined && row.positionOffsets !== undefined ? { bytes: row.positions, offsets: row.positionOffsets } : null;
    header.push([row.part, row.seg, keys.byteLength, row.offsets.length, row.data.byteLength, positions ? positions.bytes.byteLength : -1, positions ? positions.offsets.length : -1]);
    body.push(() => {
      push(keys);
      align();
      push(new Uint8Array(row.offsets.buffer, row.offsets.byteOffset, row.offsets.byteLength));
      push(row.data);
      if (positions) {
        push(positions.bytes);
        align();
        push(new Uint8Array(positions.offsets.buffer, positions.offsets.byteOffset, positions.offsets.byteLength));
      }
      align();
    });
  }
  const head = encoder.encode(JSON.stringify({ rows: header }));
  const lead = new Uint8Array(8);
  lead.set(MAGIC);
  new DataView(lead.buffer).setUint32(4, head.byteLength, true);
  push(lead);
  push(head);
  align();
  for (const write of body) write();
  // The Blob copies the parts (the rows stay as they are, in the reader's cache).
  return { id: WARM_SNAPSHOT_ID, generation, rows: rows.length, bytes: at, blob: new Blob(parts as BlobPart[]) };
}

/** The rows of a snapshot, as views into `buffer`; null when it is not a snapshot this code wrote, or is cut short. */
export function unpackPostings(buffer: ArrayBuffer): PostingsRow[] | null {
  if (buffer.byteLength < 8) return null;
  const lead = new Uint8Array(buffer, 0, 8);
  if (MAGIC.some((byte, i) => lead[i] !== byte)) return null;
  const headLength = new DataView(buffer).getUint32(4, true);
  if (8 + headLength > buffer.byteLength) return null;
  const decoder = new TextDecoder();
  let parsed: z.infer<typeof headerSchema>;
  try {
    const header = headerSchema.safeParse(JSON.parse(decoder.decode(new Uint8Array(buffer, 8, headLength))));
    if (!header.success) return null;
    parsed = header.data;
  } catch {
    return null;
  }
  let at = 8 + headLength;
  at += padding(at);
  const take = (length: number): number => {
    const start = at;
    at += length;
    if (at > buffer.byteLength) throw new RangeError('snapshot cut short');
    return start;
  };
  const align = (): void => {
    at += padding(at);
  };
  const rows: PostingsRow[] = [];
  try {
    for (const [part, seg, keyBytes, offsetCount, dataBytes, positionBytes, positionOffsetCount] of parsed.rows) {
      const keys = decoder.decode(new Uint8Array(buffer, take(keyBytes), keyBytes));
      align();
      const offsets = new Uint32Array(buffer, take(offsetCount * 4), offsetCount);
      const data = new Uint8Array(buffer, take(dataBytes), dataBytes);
      const row: PostingsRow = { part, seg, kind: 'postings', keys, offsets, data };
      if (positionBytes >= 0 && positionOffsetCount >= 0) {
        row.positions = new Uint8Array(buffer, take(positionBytes), positionBytes);
        align();
        row.positionOffsets = new Uint32Array(buffer, take(positionOffsetCount * 4), positionOffsetCount);
      }
      align();
      // Offsets must stay inside their sections (a decoder trusts them).
      if ((offsets[offsets.length - 1] ?? 0) > data.byteLength) return null;
      if (row.positions && row.positionOffsets && (row.positionOffsets[row.positionOffsets.length - 1] ?? 0) > row.positions.byteLength) return null;
      rows.push(row);
    }
  } catch {
    return null;
  }
  return rows;
}
