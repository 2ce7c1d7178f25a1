/**
 * The blob lifecycle job (SPEC S18, S19), run by the Worker's Cron Trigger (`scheduled` in worker/src/index.ts) for
 * every user and, for one user, right after a commit that removes segments:
 * - the sweep: once every presigned PUT URL of a blob has expired, an unverified blob's object is deleted, and a
 *   verified blob is settled only if the store still holds the object that was verified (else it is deleted);
 * - garbage collection in two phases, as restic's prune does: commits and verification mark a blob unreferenced
 *   (blobs.unreferenced_since), and only blobs still unreferenced after GC_GRACE_MS are deleted, row first (in one
 *   statement that re-checks the manifest), then the object.
 * Each run does a bounded amount of work; what is left waits for the next run.
 */
import { MAX_BLOB_BYTES, PRESIGN_EXPIRES_SECONDS } from '../../../shared/sync/protocol';
import { digestStream } from '../blob/digest';
import { blobKey } from '../blob/keys';
import type { BlobStore } from '../blob/port';
import { deleteBlobIfUnchanged, deleteUnreferencedBlobs, getBlob, listExpiredUploads, settleUpload, type UserBlobRow } from '../repos/blobs';

/**
 * S19: how long a blob must stay unreferenced before it is deleted. Longer than any in-flight commit: a device
 * uploads, then commits within one push, and an upload URL lives PRESIGN_EXPIRES_SECONDS (15 minutes).
 */
export const GC_GRACE_MS = 60 * 60 * 1000;
/** S18: margin after a URL's expiry for clocks that disagree between the Worker and the store. */
export const UPLOAD_EXPIRY_MARGIN_MS = 2 * 60 * 1000;
/** Per run: each blob costs one to three store requests, and a Worker invocation has a subrequest budget. */
const SWEEP_BATCH = 50;
const GC_BATCH = 100;
const STORE_CONCURRENCY = 8;

export interface LifecycleReport {
  /** Unverified uploads whose URLs expired: object and row deleted. */
  expiredUploadsDeleted: number;
  /** Verified blobs whose URLs expired and whose object is still the verified one. */
  uploadsSettled: number;
  /** Verified blobs whose object changed after verification (S17): object and row deleted. */
  tamperedDeleted: number;
  /** Unreferenced blobs past the grace period: row and object deleted. */
  blobsCollected: number;
}

async function inChunks<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += STORE_CONCURRENCY) await Promise.all(items.slice(i, i + STORE_CONCURRENCY).map(run));
}

/** S17: the store still holds exactly the object verified: same size, and the same ETag (or, without one, the same hash). */
async function storeStillHolds(store: BlobStore, key: string, blob: UserBlobRow): Promise<boolean> {
  const head = await store.head(key);
  if (head === null || head.size !== blob.size) return false;
  if (blob.verifiedEtag !== null && head.etag !== null) return head.etag === blob.verifiedEtag;
  const object = await store.get(key);
  if (object === null) return false;
  const actual = await digestStream(object.body, MAX_BLOB_BYTES);
  return actual.sha256 === blob.sha256 && actual.size === blob.size;
}

/**
 * A row this job deleted may have been created again (a re-upload) while the object delete was on its way; a
 * verified row whose object is gone must not stay, or S2 would call the blob present.
 */
async function dropIfObjectGone(db: D1Database, store: BlobStore, userId: string, sha256: string): Promise<void> {
  const again = await getBlob(db, userId, sha256);
  if (again?.verifiedAt == null) return;
  if ((await store.head(blobKey(userId, sha256))) === null) await deleteBlobIfUnchanged(db, userId, again);
}

async function sweepExpiredUploads(db: D1Database, store: BlobStore, now: number, userId: string | null, report: LifecycleReport): Promise<void> {
  const expired = await listExpiredUploads(db, now - UPLOAD_EXPIRY_MARGIN_MS, SWEEP_BATCH, userId);
  await inChunks(expired, async (blob) => {
    const key = blobKey(blob.userId, blob.sha256);
    if (blob.verifiedAt === null) {
      // Object first: if the row changed meanwhile (verified by a direct upload), the re-check below repairs it.
      await store.delete(key);
      if (await deleteBlobIfUnchanged(db, blob.userId, blob)) report.expiredUploadsDeleted += 1;
      else await dropIfObjectGone(db, store, blob.userId, blob.sha256);
      return;
    }
    if (blob.uploadExpiresAt === null) return;
    if (await storeStillHolds(store, key, blob)) {
      await settleUpload(db, blob.userId, blob.sha256, blob.uploadExpiresAt);
      report.uploadsSettled += 1;
      return;
    }
    // Overwritten through a URL after verification: these bytes were never checked, so they must not be served.
    if (await deleteBlobIfUnchanged(db, blob.userId, blob)) {
      await store.delete(key);
      report.tamperedDeleted += 1;
    }
  });
}

async function collectGarbage(db: D1Database, store: BlobStore, now: number, userId: string | null, report: LifecycleReport): Promise<void> {
  const collected = await deleteUnreferencedBlobs(db, now - GC_GRACE_MS, GC_BATCH, userId);
  await inChunks(collected, async ({ userId: owner, sha256 }) => {
    await store.delete(blobKey(owner, sha256));
    await dropIfObjectGone(db, store, owner, sha256);
  });
  report.blobsCollected += collected.length;
}

/** One run of the sweep and the garbage collection, for every user or for one; `now` is the run's clock. */
export async function runBlobLifecycle(db: D1Database, store: BlobStore, now: number, userId: string | null = null): Promise<LifecycleReport> {
  const report: LifecycleReport = { expiredUploadsDeleted: 0, uploadsSettled: 0, tamperedDeleted: 0, blobsCollected: 0 };
  await sweepExpiredUploads(db, store, now, userId, report);
  await collectGarbage(db, store, now, userId, report);
  return report;
}

/** S18: when a URL issued now expires. */
export function uploadExpiry(now: number): number {
  return now + PRESIGN_EXPIRES_SECONDS * 1000;
}
