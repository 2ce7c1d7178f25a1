/**
 * Blob rows (SPEC S4, S8, S9, S17-S19): which content-addressed blobs a user has, whether the server verified them,
 * what presigned uploads may still write to them, and since when no manifest references them.
 */
import { z } from 'zod';
import { parseRow, parseRows } from './rows';

const blobRowSchema = z.object({
  sha256: z.string(),
  size: z.number().int(),
  verified_at: z.number().int().nullable(),
  reserved_bytes: z.number().int(),
  upload_expires_at: z.number().int().nullable(),
  verified_etag: z.string().nullable(),
});

const BLOB_COLUMNS = 'sha256, size, verified_at, reserved_bytes, upload_expires_at, verified_etag';

export interface BlobRow {
  sha256: string;
  size: number;
  verifiedAt: number | null;
  /** S18: the largest size a presigned PUT URL was issued for; counts until the sweep settles the blob. */
  reservedBytes: number;
  /** S18: expiry of the last presigned PUT URL; null once settled (or if none was ever issued). */
  uploadExpiresAt: number | null;
  /** S17: the store's ETag of the object the server hashed at verification. */
  verifiedEtag: string | null;
}

function toBlob(row: z.infer<typeof blobRowSchema>): BlobRow {
  return {
    sha256: row.sha256,
    size: row.size,
    verifiedAt: row.verified_at,
    reservedBytes: row.reserved_bytes,
    uploadExpiresAt: row.upload_expires_at,
    verifiedEtag: row.verified_etag,
  };
}

export async function getBlob(db: D1Database, userId: string, sha256: string): Promise<BlobRow | null> {
  const row = await db.prepare(`SELECT ${BLOB_COLUMNS} FROM blobs WHERE user_id = ? AND sha256 = ?`).bind(userId, sha256).first();
  return row === null ? null : toBlob(parseRow(blobRowSchema, row, 'blob'));
}

/** The verified blobs among `hashes` (one query: the list travels as JSON, so no bound-parameter limit applies). */
export async function findVerifiedBlobs(db: D1Database, userId: string, hashes: readonly string[]): Promise<Map<string, number>> {
  if (hashes.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT ${BLOB_COLUMNS} FROM blobs
       WHERE user_id = ? AND verified_at IS NOT NULL AND sha256 IN (SELECT value FROM json_each(?))`,
    )
    .bind(userId, JSON.stringify(hashes))
    .all();
  return new Map(parseRows(blobRowSchema, results, 'blob').map((row) => [row.sha256, row.size]));
}

/**
 * S9, S18: reserves room for a blob about to reach the store: a direct upload before it is stored
 * (`uploadExpiresAt` null), or an announced presigned upload (`uploadExpiresAt` = the URL's expiry). Records it
 * unverified, only if the user's other blobs plus this one stay within `limitBytes`; each blob counts
 * MAX(size, reserved_bytes). Check and write are ONE statement, so concurrent uploads cannot overshoot.
 * Announcing again sets the size the next verify expects but never shrinks the reservation: an earlier URL may
 * still write that many bytes. A verified blob is never touched. False when nothing was written: no room, or the
 * blob is verified already.
 */
export async function reserveBlob(
  db: D1Database,
  userId: string,
  sha256: string,
  size: number,
  limitBytes: number,
  now: number,
  uploadExpiresAt: number | null,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO blobs (user_id, sha256, size, verified_at, created_at, reserved_bytes, upload_expires_at)
       SELECT ?1, ?2, ?3, NULL, ?4, ?3, ?6
       WHERE (SELECT COALESCE(SUM(MAX(size, reserved_bytes)), 0) FROM blobs WHERE user_id = ?1 AND sha256 != ?2)
             + MAX(?3, COALESCE((SELECT reserved_bytes FROM blobs WHERE user_id = ?1 AND sha256 = ?2), 0)) <= ?5
       ON CONFLICT (user_id, sha256) DO UPDATE SET
         size = excluded.size,
         reserved_bytes = MAX(blobs.reserved_bytes, excluded.reserved_bytes),
         upload_expires_at = COALESCE(MAX(blobs.upload_expires_at, excluded.upload_expires_at), blobs.upload_expires_at, excluded.upload_expires_at)
       WHERE blobs.verified_at IS NULL`,
    )
    .bind(userId, sha256, size, now, limitBytes, uploadExpiresAt)
    .run();
  return result.meta.changes > 0;
}

/**
 * Marks a blob verified after the server checked the stored bytes' size and SHA-256, recording the ETag of the
 * object it checked (S17). A blob verified already keeps its first verification. A blob no manifest segment
 * references yet starts its S19 grace period now. A blob that never had a presigned URL needs no reservation beyond
 * its size; one that had keeps it until the sweep has seen the URL expire (S18).
 */
export async function markBlobVerified(db: D1Database, userId: string, sha256: string, size: number, etag: string | null, now: number): Promise<BlobRow> {
  const row = await db
    .prepare(
      `INSERT INTO blobs (user_id, sha256, size, verified_at, created_at, verified_etag, unreferenced_since) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?4)
       ON CONFLICT (user_id, sha256) DO UPDATE SET
         size = CASE WHEN blobs.verified_at IS NULL THEN excluded.size ELSE blobs.size END,
         verified_etag = CASE WHEN blobs.verified_at IS NULL THEN excluded.verified_etag ELSE blobs.verified_etag END,
         reserved_bytes = CASE WHEN blobs.upload_expires_at IS NULL THEN 0 ELSE blobs.reserved_bytes END,
         unreferenced_since = CASE WHEN blobs.verified_at IS NOT NULL THEN blobs.unreferenced_since
           WHEN EXISTS (SELECT 1 FROM vault_segments s WHERE s.user_id = ?1 AND s.sha256 = ?2) THEN NULL
           ELSE excluded.unreferenced_since END,
         verified_at = COALESCE(blobs.verified_at, excluded.verified_at)
       RETURNING ${BLOB_COLUMNS}`,
    )
    .bind(userId, sha256, size, now, etag)
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

// ---- Lifecycle: the S18 sweep and the S19 garbage collection (worker/src/jobs/blob-lifecycle.ts) -------------

const userBlobRowSchema = blobRowSchema.extend({ user_id: z.string() });
export interface UserBlobRow extends BlobRow {
  userId: string;
}

/** S18: blobs (of any user, or of one) whose last presigned PUT URL expired before `before`, oldest first. */
export async function listExpiredUploads(db: D1Database, before: number, limit: number, userId: string | null = null): Promise<UserBlobRow[]> {
  const { results } = await db
    .prepare(
      `SELECT user_id, ${BLOB_COLUMNS} FROM blobs
       WHERE upload_expires_at IS NOT NULL AND upload_expires_at < ?1 AND (?2 IS NULL OR user_id = ?2)
       ORDER BY upload_expires_at LIMIT ?3`,
    )
    .bind(before, userId, limit)
    .all();
  return parseRows(userBlobRowSchema, results, 'blob').map((row) => ({ ...toBlob(row), userId: row.user_id }));
}

/**
 * Deletes a blob row only if it is still exactly as the caller read it (same verification, same URL window), so
 * an upload, verify or commit that touched it meanwhile wins. True when the row went.
 */
export async function deleteBlobIfUnchanged(db: D1Database, userId: string, blob: Pick<BlobRow, 'sha256' | 'verifiedAt' | 'uploadExpiresAt'>): Promise<boolean> {
  const result = await db
    .prepare(
      `DELETE FROM blobs WHERE user_id = ?1 AND sha256 = ?2 AND verified_at IS ?3 AND upload_expires_at IS ?4`,
    )
    .bind(userId, blob.sha256, blob.verifiedAt, blob.uploadExpiresAt)
    .run();
  return result.meta.changes > 0;
}

/** S18: a verified blob whose URLs all expired and whose stored object still is the one verified: counts its size only. */
export async function settleUpload(db: D1Database, userId: string, sha256: string, uploadExpiresAt: number): Promise<void> {
  await db
    .prepare(
      `UPDATE blobs SET reserved_bytes = 0, upload_expires_at = NULL
       WHERE user_id = ? AND sha256 = ? AND verified_at IS NOT NULL AND upload_expires_at = ?`,
    )
    .bind(userId, sha256, uploadExpiresAt)
    .run();
}

/**
 * S19 phase two: removes the rows of verified blobs that no manifest segment references and that were marked
 * unreferenced at or before `markedBefore` (the grace period), at most `limit`; one statement, so a commit that
 * references one of them meanwhile keeps it. Returns what went; the caller then deletes the objects.
 */
export async function deleteUnreferencedBlobs(db: D1Database, markedBefore: number, limit: number, userId: string | null = null): Promise<{ userId: string; sha256: string }[]> {
  const { results } = await db
    .prepare(
      `DELETE FROM blobs WHERE (user_id, sha256) IN (
         SELECT b.user_id, b.sha256 FROM blobs b
         WHERE b.unreferenced_since IS NOT NULL AND b.unreferenced_since <= ?1 AND b.verified_at IS NOT NULL
           AND b.upload_expires_at IS NULL AND (?2 IS NULL OR b.user_id = ?2)
           AND NOT EXISTS (SELECT 1 FROM vault_segments s WHERE s.user_id = b.user_id AND s.sha256 = b.sha256)
         ORDER BY b.unreferenced_since LIMIT ?3)
       RETURNING user_id, sha256`,
    )
    .bind(markedBefore, userId, limit)
    .all();
  return parseRows(z.object({ user_id: z.string(), sha256: z.string() }), results, 'collected blob').map((r) => ({ userId: r.user_id, sha256: r.sha256 }));
}

/**
 * S17: the stored object is no longer the one verified: the blob goes back to unverified (S2 reports it missing,
 * commits cannot add it) and keeps its URL window, so the sweep deletes whatever a URL still writes there.
 */
export async function unverifyBlob(db: D1Database, userId: string, blob: Pick<BlobRow, 'sha256' | 'verifiedAt'>): Promise<void> {
  await db
    .prepare(
      `UPDATE blobs SET verified_at = NULL, verified_etag = NULL, unreferenced_since = NULL,
         reserved_bytes = MAX(reserved_bytes, size)
       WHERE user_id = ? AND sha256 = ? AND verified_at IS ?`,
    )
    .bind(userId, blob.sha256, blob.verifiedAt)
    .run();
}
