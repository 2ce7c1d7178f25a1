/**
 * /api/sync: blobs (missing, direct upload, presigned upload + verify, download) and the manifest (commit, since N).
 * The rules are numbered in shared/sync/SPEC.md. Every query and every blob key is scoped by c.var.user.id.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { AppError, ERROR_MESSAGES } from '../../../shared/errors';
import { sha256Hex } from '../../../shared/sync/hash';
import {
  MAX_BLOB_BYTES,
  MAX_DIRECT_BLOB_BYTES,
  PRESIGN_EXPIRES_SECONDS,
  commitRequestSchema,
  manifestQuerySchema,
  missingBlobsRequestSchema,
  sha256HexSchema,
  uploadUrlRequestSchema,
  type BlobRecord,
  type CommitResponse,
  type DownloadResponse,
  type ManifestResponse,
  type MissingBlobsResponse,
  type SyncConflictResponse,
  type UploadUrlResponse,
} from '../../../shared/sync/protocol';
import { requireUser } from '../auth/middleware';
import { digestStream } from '../blob/digest';
import { blobStoreFromEnv } from '../blob/from-env';
import { blobKey } from '../blob/keys';
import type { AppEnv, AuthUser, Env } from '../env';
import { limitBody, validate } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { runBlobLifecycle, uploadExpiry } from '../jobs/blob-lifecycle';
import { requireKnownProtocol } from '../http/protocol-version';
import { findVerifiedBlobs, getBlob, markBlobVerified, reserveBlob, unverifyBlob, type BlobRow } from '../repos/blobs';
import { vaultHeadsFromEnv } from '../repos/vault-heads';
import { getTierLimits } from '../tiers';

/** 1000 hashes as JSON is ~70 KB. */
const MISSING_BODY_LIMIT = 128 * 1024;
/** Worst case of a commit: 2 x 1000 hashes, 5000 tombstones of 128 chars, 64 KB of settings. */
const COMMIT_BODY_LIMIT = 1024 * 1024;
const SMALL_BODY_LIMIT = 4 * 1024;
/** S9: stored blobs (referenced or not) may use up to this multiple of the vault quota: room for compaction. */
const STORED_BLOB_QUOTA_FACTOR = 2;

const hashParam = validate('param', z.object({ sha256: sha256HexSchema }));

function toRecord(blob: { sha256: string; size: number; verifiedAt: number | null }): BlobRecord {
  if (blob.verifiedAt === null) throw new AppError('INTERNAL', { detail: 'blob record is not verified' });
  return { sha256: blob.sha256, size: blob.size, verifiedAt: blob.verifiedAt };
}

/**
 * S9, S18: reserves room for a blob about to reach the store; VAULT_FULL when there is none. A direct upload
 * (`uploadExpiresAt` null) of a blob verified already needs no room; a presigned URL for it is refused (S17).
 */
async function reserveRoomForUpload(env: Env, user: AuthUser, sha256: string, size: number, now: number, uploadExpiresAt: number | null): Promise<void> {
  const limit = getTierLimits(env, user.tier).vaultBytes * STORED_BLOB_QUOTA_FACTOR;
  if (await reserveBlob(env.DB, user.id, sha256, size, limit, now, uploadExpiresAt)) return;
  if ((await getBlob(env.DB, user.id, sha256))?.verifiedAt != null) {
    if (uploadExpiresAt === null) return;
    throw new AppError('BLOB_ALREADY_UPLOADED');
  }
  throw new AppError('VAULT_FULL', { detail: `${size} more bytes would exceed ${STORED_BLOB_QUOTA_FACTOR}x quota` });
}

/**
 * S17: before handing out a URL to a blob a presigned PUT could still have overwritten, check that the store holds
 * the object that was verified (size and ETag). If not, the blob goes back to unverified (so S2 reports it missing
 * and the sweep deletes whatever sits there once its URLs expire), and the download is NOT_FOUND.
 */
async function ensureStillVerified(env: Env, userId: string, blob: BlobRow): Promise<void> {
  if (blob.uploadExpiresAt === null) return;
  const store = blobStoreFromEnv(env);
  const key = blobKey(userId, blob.sha256);
  const head = await store.head(key);
  if (head !== null && head.size === blob.size && (blob.verifiedEtag === null || head.etag === blob.verifiedEtag)) return;
  await unverifyBlob(env.DB, userId, blob);
  await store.delete(key);
  throw new AppError('NOT_FOUND', { detail: 'stored object changed after verification' });
}

export const syncRoutes = new Hono<AppEnv>()
  .use(requireKnownProtocol, requireUser, limitPerUser)
  // S2: which of these hashes does the server lack (not stored, or stored but never verified).
  .post('/blobs/missing', limitBody(MISSING_BODY_LIMIT), validate('json', missingBlobsRequestSchema), async (c) => {
    const hashes = [...new Set(c.req.valid('json').hashes)];
    const verified = await findVerifiedBlobs(c.env.DB, c.var.user.id, hashes);
    const body: MissingBlobsResponse = { missing: hashes.filter((h) => !verified.has(h)) };
    return c.json(body);
  })
  // S4: small blobs through the Worker; the body must hash to the name before anything is stored.
  .put('/blobs/:sha256', limitBody(MAX_DIRECT_BLOB_BYTES), hashParam, async (c) => {
    const { sha256 } = c.req.valid('param');
    const { user } = c.var;
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if ((await sha256Hex(bytes)) !== sha256) throw new AppError('BLOB_HASH_MISMATCH');
    const existing = await getBlob(c.env.DB, user.id, sha256);
    if (existing?.verifiedAt != null) return c.json(toRecord(existing));
    await reserveRoomForUpload(c.env, user, sha256, bytes.byteLength, c.var.deps.now(), null);
    const { etag } = await blobStoreFromEnv(c.env).put(blobKey(user.id, sha256), bytes, sha256);
    const record = await markBlobVerified(c.env.DB, user.id, sha256, bytes.byteLength, etag, c.var.deps.now());
    return c.json(toRecord(record), 201);
  })
  // S8, S17, S18: a presigned PUT for exactly this key, size and hash, never for a verified blob; the blob counts
  // only after /verify, and its reservation holds until the URL has expired.
  .post('/blobs/:sha256/upload-url', limitBody(SMALL_BODY_LIMIT), hashParam, validate('json', uploadUrlRequestSchema), async (c) => {
    const { sha256 } = c.req.valid('param');
    const { size } = c.req.valid('json');
    const { user } = c.var;
    const now = c.var.deps.now();
    if ((await getBlob(c.env.DB, user.id, sha256))?.verifiedAt != null) throw new AppError('BLOB_ALREADY_UPLOADED');
    await reserveRoomForUpload(c.env, user, sha256, size, now, uploadExpiry(now));
    const upload = await blobStoreFromEnv(c.env).presignPut(blobKey(user.id, sha256), size, sha256, PRESIGN_EXPIRES_SECONDS);
    const body: UploadUrlResponse = { sha256, size, upload };
    return c.json(body);
  })
  // S8: read the stored object back and check its size and SHA-256 before it can be referenced by a commit.
  .post('/blobs/:sha256/verify', limitBody(SMALL_BODY_LIMIT), hashParam, async (c) => {
    const { sha256 } = c.req.valid('param');
    const { user } = c.var;
    const row = await getBlob(c.env.DB, user.id, sha256);
    if (row === null) throw new AppError('NOT_FOUND');
    if (row.verifiedAt !== null) return c.json(toRecord(row));
    const store = blobStoreFromEnv(c.env);
    const key = blobKey(user.id, sha256);
    const object = await store.get(key);
    if (object === null) throw new AppError('BLOB_MISSING', { detail: 'nothing was uploaded to the presigned URL yet' });
    const actual = await digestStream(object.body, MAX_BLOB_BYTES);
    if (actual.sha256 !== sha256 || actual.size !== row.size) {
      // Damaged bytes must not stay under a name they do not match.
      await store.delete(key);
      throw new AppError('BLOB_HASH_MISMATCH');
    }
    const record = await markBlobVerified(c.env.DB, user.id, sha256, actual.size, object.etag, c.var.deps.now());
    return c.json(toRecord(record));
  })
  // S8: a presigned GET; the client verifies the bytes' hash on read (S4).
  .get('/blobs/:sha256', hashParam, async (c) => {
    const { sha256 } = c.req.valid('param');
    const { user } = c.var;
    const row = await getBlob(c.env.DB, user.id, sha256);
    if (row?.verifiedAt == null) throw new AppError('NOT_FOUND');
    await ensureStillVerified(c.env, user.id, row);
    const download = await blobStoreFromEnv(c.env).presignGet(blobKey(user.id, sha256), PRESIGN_EXPIRES_SECONDS);
    const body: DownloadResponse = { sha256, size: row.size, download };
    return c.json(body);
  })
  // S5, S6, S7, S10: compare-and-set commit on the head.
  .post('/commit', limitBody(COMMIT_BODY_LIMIT), validate('json', commitRequestSchema), async (c) => {
    const request = c.req.valid('json');
    const { user } = c.var;
    const outcome = await vaultHeadsFromEnv(c.env).commit({
      userId: user.id,
      baseVersion: request.baseVersion,
      deviceId: request.deviceId,
      addedSegments: request.addedSegments,
      removedSegments: request.removedSegments,
      tombstones: request.tombstones,
      settings: request.settings,
      stats: request.stats,
      quotaBytes: getTierLimits(c.env, user.tier).vaultBytes,
      now: c.var.deps.now(),
      commitId: crypto.randomUUID(),
    });
    if (!outcome.ok) {
      const conflict: SyncConflictResponse = {
        error: { code: 'SYNC_CONFLICT', message: ERROR_MESSAGES.SYNC_CONFLICT },
        head: outcome.head,
      };
      return c.json(conflict, 409);
    }
    // S21: fold older commits into the checkpoint once enough gathered (a no-op most of the time).
    c.executionCtx.waitUntil(
      vaultHeadsFromEnv(c.env).foldCheckpoint(user.id, crypto.randomUUID()).catch((error: unknown) => {
        console.error('checkpoint fold failed', error);
      }),
    );
    if (outcome.commit.removedSegments.length > 0) {
      // S19: a compaction just unreferenced blobs; collect this user's garbage whose grace period is over now
      // rather than at the next Cron Trigger, without delaying the answer.
      const collecting = runBlobLifecycle(c.env.DB, blobStoreFromEnv(c.env), c.var.deps.now(), user.id).catch((error: unknown) => {
        console.error('blob lifecycle after compaction failed', error);
      });
      c.executionCtx.waitUntil(collecting);
    }
    const body: CommitResponse = { head: outcome.head, commit: outcome.commit };
    return c.json(body, 201);
  })
  // S11, S21: the head, the checkpoint when `since` is below it, and the commits after, one page at a time.
  .get('/manifest', validate('query', manifestQuerySchema), async (c) => {
    const { since } = c.req.valid('query');
    const page = await vaultHeadsFromEnv(c.env).readManifest(c.var.user.id, since, c.var.deps.now());
    const body: ManifestResponse = { head: page.head, commits: page.commits, hasMore: page.hasMore, serverTime: c.var.deps.now() };
    if (page.checkpoint !== null) body.checkpoint = page.checkpoint;
    return c.json(body);
  });
