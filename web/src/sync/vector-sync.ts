/**
 * Vectors of the remote embedding model travel with sync (C38), so a phone does not embed again what a laptop did.
 *
 * - Out: when the embedding job stores a block of a remote model, each vector also becomes a `vector` sync record
 *   (int8, one scale per vector: a quarter of the float bytes) marked pending; the engine packs them in their own
 *   segment kind. On-device models are not synced: every device computes those itself.
 * - In: pulled vector records sit in `syncRecords`; after a sync that pulled segments, `materializeSyncedVectors`
 *   packs the ones no block holds yet into one block per model and size, which search and the embedding job
 *   then treat like vectors computed here.
 *
 *   isSyncedModel(modelId): boolean
 *   vectorRecordsOf(block, conversationOf): SyncRecord[]
 *   queueVectorsForSync(db, block): Promise<number>       // records written and marked pending
 *   materializeSyncedVectors(db): Promise<number>         // vectors added to blocks
 */
import { vectorRecordSchema, type SyncRecord } from '../../../shared/sync/records';
import { queueVectorRecords } from '../../../shared/sync/vault-ops';
import { putVectorBlock, vectorBlocks, withStorageErrors, type VaultDatabase, type VectorBlockRow } from '../db/database';
import { localContext, notifyLocalChange } from './local-changes';

export const isSyncedModel = (modelId: string): boolean => modelId.startsWith('remote:');

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // eslint-disable-next-line no-restricted-syntax -- chunks of 0x8000 bytes: always well under the argument limit
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Int8Array {
  const binary = atob(text);
  const out = new Int8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = (binary.charCodeAt(i) << 24) >> 24;
  return out;
}

/** Vector `i` of a block as int8 with its scale (value ≈ int8 × scale). */
function quantised(block: VectorBlockRow, i: number): { bytes: Int8Array; scale: number } {
  const { dim } = block;
  if (block.dtype === 'int8') {
    return { bytes: new Int8Array(block.data, i * dim, dim).slice(), scale: block.scales?.[i] ?? 1 };
  }
  const values = new Float32Array(block.data, i * dim * 4, dim);
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  const scale = max > 0 ? max / 127 : 1;
  const bytes = new Int8Array(dim);
  for (let d = 0; d < dim; d++) bytes[d] = Math.round((values[d] ?? 0) / scale);
  return { bytes, scale };
}

export function vectorRecordsOf(block: VectorBlockRow, conversationOf: ReadonlyMap<string, string>): SyncRecord[] {
  const out: SyncRecord[] = [];
  block.nodeIds.forEach((nodeId, i) => {
    const conversationId = conversationOf.get(nodeId);
    if (conversationId === undefined) return;
    const { bytes, scale } = quantised(block, i);
    out.push({ type: 'vector', id: `${block.modelId}|${nodeId}`, nodeId, conversationId, model: block.modelId, scale, data: toBase64(new Uint8Array(bytes.buffer)) });
  });
  return out;
}

/** Writes the block's vectors as sync records, pending for the next push. Not for on-device models. */
export async function queueVectorsForSync(db: VaultDatabase, block: VectorBlockRow): Promise<number> {
  if (!isSyncedModel(block.modelId)) return 0;
  const nodes = await withStorageErrors(() => db.nodes.bulkGet(block.nodeIds));
  const conversationOf = new Map(nodes.flatMap((n) => (n === undefined ? [] : [[n.id, n.conversationId] as const])));
  const records = vectorRecordsOf(block, conversationOf);
  if (records.length === 0) return 0;
  const { store } = await localContext(db);
  const written = await queueVectorRecords(store, records);
  if (written > 0) notifyLocalChange('vectors');
  return written;
}

/** Pulled vectors that no block holds yet, packed into one block per model and size. */
export async function materializeSyncedVectors(db: VaultDatabase): Promise<number> {
  const rows = await withStorageErrors(() => db.syncRecords.where('key').startsWith('vector:').toArray());
  const byModel = new Map<string, { modelId: string; dim: number; vectors: { nodeId: string; bytes: Int8Array; scale: number }[] }>();
  for (const row of rows) {
    const parsed = vectorRecordSchema.safeParse(row.record);
    if (!parsed.success) continue;
    const bytes = fromBase64(parsed.data.data);
    if (bytes.length === 0) continue;
    const group = `${parsed.data.model}\u0000${bytes.length}`;
    const entry = byModel.get(group) ?? { modelId: parsed.data.model, dim: bytes.length, vectors: [] };
    entry.vectors.push({ nodeId: parsed.data.nodeId, bytes, scale: parsed.data.scale });
    byModel.set(group, entry);
  }
  let added = 0;
  for (const { modelId, dim, vectors } of byModel.values()) {
    const held = new Set((await vectorBlocks(db, modelId, dim)).flatMap((b) => b.nodeIds));
    const missing = vectors.filter((v) => !held.has(v.nodeId));
    if (missing.length === 0) continue;
    // Only nodes this vault still holds (a vector can arrive before its node's segment is merged, or after a delete).
    const present = await withStorageErrors(() => db.nodes.bulkGet(missing.map((v) => v.nodeId)));
    const keep = missing.filter((_, i) => present[i] !== undefined);
    if (keep.length === 0) continue;
    // Stored as float32, the form the search matrix reads (it keeps its own int8 copy for scanning).
    const data = new Float32Array(keep.length * dim);
    keep.forEach((v, i) => {
      for (let d = 0; d < dim; d++) data[i * dim + d] = (v.bytes[d] ?? 0) * v.scale;
    });
    await putVectorBlock(db, { modelId, dim, dtype: 'float32', nodeIds: keep.map((v) => v.nodeId), data: data.buffer, scales: null, createdAt: Date.now() });
    added += keep.length;
  }
  return added;
}
