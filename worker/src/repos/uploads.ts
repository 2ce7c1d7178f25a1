/** Upload (import) records (SPEC S13): a device reports an import; every device of the same user lists them. */
import { z } from 'zod';
import { uploadRecordSchema, type UpdateUploadRequest, type UploadRecord } from '../../../shared/sync/protocol';
import { parseRow, parseRows } from './rows';

const uploadRowSchema = z.object({
  id: z.string(),
  device_id: z.string(),
  provider: z.string(),
  file_name: z.string(),
  bytes: z.number().int(),
  status: z.string(),
  progress: z.number(),
  conversations: z.number().int(),
  nodes_created: z.number().int(),
  nodes_deduplicated: z.number().int(),
  error_code: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
});

const COLUMNS =
  'id, device_id, provider, file_name, bytes, status, progress, conversations, nodes_created, nodes_deduplicated, error_code, created_at, updated_at';

function toUpload(row: z.infer<typeof uploadRowSchema>): UploadRecord {
  return uploadRecordSchema.parse({
    id: row.id,
    deviceId: row.device_id,
    provider: row.provider,
    fileName: row.file_name,
    bytes: row.bytes,
    status: row.status,
    progress: row.progress,
    counts: { conversations: row.conversations, nodesCreated: row.nodes_created, nodesDeduplicated: row.nodes_deduplicated },
    errorCode: row.error_code,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

export interface NewUpload {
  id: string;
  userId: string;
  deviceId: string;
  provider: string;
  fileName: string;
  bytes: number;
  status: string;
  now: number;
}

/** At most this many records per user (S13): a device cannot grow the table without bound. */
export const MAX_UPLOAD_RECORDS_PER_USER = 500;

/**
 * Adds a record, keeping the user at `cap` records: when full, the oldest finished (complete, failed, cancelled)
 * records by last update make room. Null when all `cap` are still pending or processing (nothing may be dropped).
 * One batch (one transaction), so concurrent creates cannot pass the cap together.
 */
export async function createUpload(db: D1Database, input: NewUpload, cap = MAX_UPLOAD_RECORDS_PER_USER): Promise<UploadRecord | null> {
  const [, inserted] = await db.batch([
    db
      .prepare(
        `DELETE FROM uploads WHERE id IN (
           SELECT id FROM uploads WHERE user_id = ?1 AND status IN ('complete', 'failed', 'cancelled')
           ORDER BY updated_at ASC, rowid ASC
           LIMIT MAX(0, (SELECT COUNT(*) FROM uploads WHERE user_id = ?1) - ?2 + 1))`,
      )
      .bind(input.userId, cap),
    db
      .prepare(
        `INSERT INTO uploads (id, user_id, device_id, provider, file_name, bytes, status, progress, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8 WHERE (SELECT COUNT(*) FROM uploads WHERE user_id = ?2) < ?9
         RETURNING ${COLUMNS}`,
      )
      .bind(input.id, input.userId, input.deviceId, input.provider, input.fileName, input.bytes, input.status, input.now, cap),
  ]);
  const row = inserted?.results[0];
  return row === undefined ? null : toUpload(parseRow(uploadRowSchema, row, 'upload'));
}

/** Updates one of the user's own records; null when the id is not theirs (or does not exist). */
export async function updateUpload(db: D1Database, userId: string, id: string, patch: UpdateUploadRequest, now: number): Promise<UploadRecord | null> {
  const row = await db
    .prepare(
      `UPDATE uploads SET
         status = COALESCE(?, status), progress = COALESCE(?, progress),
         conversations = COALESCE(?, conversations), nodes_created = COALESCE(?, nodes_created),
         nodes_deduplicated = COALESCE(?, nodes_deduplicated),
         error_code = CASE WHEN ? THEN ? ELSE error_code END,
         updated_at = ?
       WHERE id = ? AND user_id = ? RETURNING ${COLUMNS}`,
    )
    .bind(
      patch.status ?? null,
      patch.progress ?? null,
      patch.counts?.conversations ?? null,
      patch.counts?.nodesCreated ?? null,
      patch.counts?.nodesDeduplicated ?? null,
      patch.errorCode !== undefined ? 1 : 0,
      patch.errorCode ?? null,
      now,
      id,
      userId,
    )
    .first();
  return row === null ? null : toUpload(parseRow(uploadRowSchema, row, 'upload'));
}

export async function listUploads(db: D1Database, userId: string, limit: number): Promise<UploadRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM uploads WHERE user_id = ? ORDER BY updated_at DESC, rowid DESC LIMIT ?`)
    .bind(userId, limit)
    .all();
  return parseRows(uploadRowSchema, results, 'upload').map(toUpload);
}
