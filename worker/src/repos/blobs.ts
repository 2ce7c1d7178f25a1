/** Blob rows (SPEC S4, S8): which content-addressed blobs a user has, and whether the server verified them. */
import { z } from 'zod';
import { parseRow, parseRows } from './rows';

const blobRowSchema = z.object({
  sha256: z.string(),
  size: z.number().int(),
  verified_at: z.number().int().nullable(),
});

export interface BlobRow {
  sha256: string;
  size: number;
  verifiedAt: number | null;
}

function toBlob(row: z.infer<typeof blobRowSchema>): BlobRow {
  return { sha256: row.sha256, size: row.size, verifiedAt: row.verified_at };
}

export async function getBlob(db: D1Database, userId: string, sha256: string): Promise<BlobRow | null> {
  const row = await db.prepare('SELECT sha256, size, verified_at FROM blobs WHERE user_id = ? AND sha256 = ?').bind(userId, sha256).first();
  return row === null ? null : toBlob(parseRow(blobRowSchema, row, 'blob'));
}

/** The verified blobs among `hashes` (one query: the list travels as JSON, so no bound-parameter limit applies). */
export async function findVerifiedBlobs(db: D1Database, userId: string, hashes: readonly string[]): Promise<Map<string, number>> {
  if (hashes.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT sha256, size, verified_at FROM blobs
       WHERE user_id = ? AND verified_at IS NOT NULL AND sha256 IN (SELECT value FROM json_each(?))`,
    )
    .bind(userId, JSON.stringify(hashes))
    .all();
  return new Map(parseRows(blobRowSchema, results, 'blob').map((row) => [row.sha256, row.size]));
}

/**
 * S9: reserves room for a blob that is about to reach the store (an announced presigned upload, or a direct upload
 * before it is stored): records it unverified with `size`, only if the user's other blobs (verified or announced)
 * plus `size` stay within `limitBytes`. Check and write are ONE statement, so concurrent uploads cannot overshoot.
 * Announcing the same blob again replaces its size. A verified blob is never downgraded. Returns false when nothing
 * was written: no room, or the blob is verified already.
 */
export async function reserveBlob(db: D1Database, userId: string, sha256: string, size: number, limitBytes: number, now: number): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO blobs (user_id, sha256, size, verified_at, created_at)
       SELECT ?1, ?2, ?3, NULL, ?4
       WHERE (SELECT COALESCE(SUM(size), 0) FROM blobs WHERE user_id = ?1 AND sha256 != ?2) + ?3 <= ?5
       ON CONFLICT (user_id, sha256) DO UPDATE SET size = excluded.size WHERE blobs.verified_at IS NULL`,
    )
    .bind(userId, sha256, size, now, limitBytes)
    .run();
  return result.meta.changes > 0;
}

/** Marks a blob verified after the server checked the stored bytes' size and SHA-256. */
export async function markBlobVerified(db: D1Database, userId: string, sha256: string, size: number, now: number): Promise<BlobRow> {
  const row = await db
    .prepare(
      `INSERT INTO blobs (user_id, sha256, size, verified_at, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_id, sha256) DO UPDATE SET size = excluded.size, verified_at = COALESCE(blobs.verified_at, excluded.verified_at)
       RETURNING sha256, size, verified_at`,
    )
    .bind(userId, sha256, size, now, now)
    .first();
  return toBlob(parseRow(blobRowSchema, row, 'blob'));
}

export async function verifiedBlobTotals(db: D1Database, userId: string): Promise<{ count: number; bytes: number }> {
  const row = await db
    .prepare('SELECT COUNT(*) AS count, COALESCE(SUM(size), 0) AS bytes FROM blobs WHERE user_id = ? AND verified_at IS NOT NULL')
    .bind(userId)
    .first();
  return parseRow(z.object({ count: z.number().int(), bytes: z.number().int() }), row, 'blob totals');
}
