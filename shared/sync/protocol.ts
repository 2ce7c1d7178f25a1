/**
 * The sync protocol between a device and the edge Worker: every request and response body as a zod schema.
 * The rules these shapes follow are numbered in shared/sync/SPEC.md (S1..); tests are named after them.
 * The server stores ciphertext only: segments, settings and the wrapped vault key arrive encrypted.
 */
import { z } from 'zod';
import { errorEnvelopeSchema, errorCodeSchema } from '../errors';
import { providerSchema } from '../model';

/**
 * S22: every sync request names the protocol version it speaks in this header; the server refuses a version it does
 * not know. Bump it when a request or response shape changes incompatibly.
 */
export const SYNC_PROTOCOL_HEADER = 'X-Cogzy-Sync-Protocol';
export const SYNC_PROTOCOL_VERSION = 1;
export const SUPPORTED_SYNC_PROTOCOL_VERSIONS: readonly number[] = [1];

// S1: a blob is named by the lowercase hex SHA-256 of its bytes.
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters (SHA-256)');
export type Sha256Hex = z.infer<typeof sha256HexSchema>;

/** S9: blobs up to this size may be uploaded through the Worker itself. */
export const MAX_DIRECT_BLOB_BYTES = 8 * 1024 * 1024;
/** S9: no blob may be larger (the client packs segments well below it). */
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
/** S2: at most this many hashes in one missing-blobs query, and segments added or removed by one commit. */
export const MAX_HASHES_PER_REQUEST = 1000;
export const MAX_TOMBSTONES_PER_COMMIT = 5000;
/** S7: encrypted settings document, base64. */
export const MAX_SETTINGS_CHARS = 64 * 1024;
/** S11: commits per manifest page. */
export const MANIFEST_PAGE_SIZE = 200;
/** S21: commit metadata bytes per manifest page (a page holds at least one commit, at most ~0.7 MB itself). */
export const MANIFEST_PAGE_BYTES = 1024 * 1024;
/** S20: metadata a vault may hold (checkpoint plus the commits after it), whatever the plan. */
export const MAX_VAULT_METADATA_BYTES = 4 * 1024 * 1024;
/** S8: lifetime of presigned URLs. */
export const PRESIGN_EXPIRES_SECONDS = 15 * 60;

/** Epoch milliseconds (server clock). */
const epochMsSchema = z.number().int().nonnegative();
const base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');
/** A device names itself once (random, client-chosen); it only labels commits and upload records. */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, _ or -');
/** Tombstoned ids are opaque to the server (the client may send node ids or hashes of them). */
export const tombstoneIdSchema = z.string().min(1).max(128);

// ---- Blobs ----------------------------------------------------------------------------------------------------

export const missingBlobsRequestSchema = z.object({
  hashes: z.array(sha256HexSchema).max(MAX_HASHES_PER_REQUEST),
});
export type MissingBlobsRequest = z.infer<typeof missingBlobsRequestSchema>;

export const missingBlobsResponseSchema = z.object({
  /** The requested hashes that are not verified blobs of this user, in request order, without duplicates. */
  missing: z.array(sha256HexSchema),
});
export type MissingBlobsResponse = z.infer<typeof missingBlobsResponseSchema>;

/** A verified blob of the signed-in user (the answer to a direct upload and to verify). */
export const blobRecordSchema = z.object({
  sha256: sha256HexSchema,
  size: z.number().int().nonnegative(),
  verifiedAt: epochMsSchema,
});
export type BlobRecord = z.infer<typeof blobRecordSchema>;

export const uploadUrlRequestSchema = z.object({
  size: z.number().int().min(1).max(MAX_BLOB_BYTES),
});
export type UploadUrlRequest = z.infer<typeof uploadUrlRequestSchema>;

/** A request the client sends straight to the blob store, then reports with POST .../verify. */
export const presignedRequestSchema = z.object({
  method: z.enum(['PUT', 'GET']),
  url: z.url(),
  /** Headers the client must send as they are (part of the signature). */
  headers: z.record(z.string(), z.string()),
  expiresAt: epochMsSchema,
});
export type PresignedRequest = z.infer<typeof presignedRequestSchema>;

export const uploadUrlResponseSchema = z.object({
  sha256: sha256HexSchema,
  size: z.number().int().positive(),
  upload: presignedRequestSchema,
});
export type UploadUrlResponse = z.infer<typeof uploadUrlResponseSchema>;

export const downloadResponseSchema = z.object({
  sha256: sha256HexSchema,
  size: z.number().int().nonnegative(),
  download: presignedRequestSchema,
});
export type DownloadResponse = z.infer<typeof downloadResponseSchema>;

// ---- Manifest and commits -------------------------------------------------------------------------------------

export const segmentRefSchema = z.object({ sha256: sha256HexSchema, size: z.number().int().nonnegative() });
export type SegmentRef = z.infer<typeof segmentRefSchema>;

/** What the client says about its vault (plaintext counts only; the server cannot read the segments). */
export const vaultStatsSchema = z.object({
  nodes: z.number().int().nonnegative(),
  conversations: z.number().int().nonnegative(),
});
export type VaultStats = z.infer<typeof vaultStatsSchema>;

export const commitRequestSchema = z.object({
  /** S5: the head version this commit was built on. 0 for the first commit of a vault. */
  baseVersion: z.number().int().nonnegative(),
  deviceId: deviceIdSchema,
  /** S6: appended to the manifest in this order; each must be a verified blob of this user. */
  addedSegments: z.array(sha256HexSchema).max(MAX_HASHES_PER_REQUEST),
  /** S6: compaction drops segments that newer ones replace. */
  removedSegments: z.array(sha256HexSchema).max(MAX_HASHES_PER_REQUEST).default([]),
  /** S7: ids deleted by this commit. */
  tombstones: z.array(tombstoneIdSchema).max(MAX_TOMBSTONES_PER_COMMIT).default([]),
  /** S7: the whole encrypted settings document, or null to leave it unchanged. */
  settings: base64Schema.max(MAX_SETTINGS_CHARS).nullable().default(null),
  stats: vaultStatsSchema.nullable().default(null),
});
export type CommitRequest = z.input<typeof commitRequestSchema>;

export const vaultHeadSchema = z.object({
  version: z.number().int().nonnegative(),
  segmentCount: z.number().int().nonnegative(),
  /** Sum of the sizes of the segments in the manifest: what the vault quota counts (S10). */
  bytes: z.number().int().nonnegative(),
  tombstoneCount: z.number().int().nonnegative(),
  /**
   * S20: bytes of commit metadata the server keeps for this vault (checkpoint plus later commits); counts toward
   * the quota with `bytes`. Absent from servers before S20 (read as 0).
   */
  metaBytes: z.number().int().nonnegative().default(0),
  settings: z.string().nullable(),
  stats: vaultStatsSchema.nullable(),
  /** null until the first commit. */
  updatedAt: epochMsSchema.nullable(),
});
export type VaultHead = z.infer<typeof vaultHeadSchema>;

export const commitRecordSchema = z.object({
  version: z.number().int().positive(),
  deviceId: deviceIdSchema,
  addedSegments: z.array(segmentRefSchema),
  removedSegments: z.array(sha256HexSchema),
  tombstones: z.array(tombstoneIdSchema),
  settings: z.string().nullable(),
  createdAt: epochMsSchema,
});
export type CommitRecord = z.infer<typeof commitRecordSchema>;

export const commitResponseSchema = z.object({ head: vaultHeadSchema, commit: commitRecordSchema });
export type CommitResponse = z.infer<typeof commitResponseSchema>;

/** S5: the 409 body of a lost compare-and-set: the usual error envelope plus the head that won. */
export const syncConflictResponseSchema = errorEnvelopeSchema.extend({ head: vaultHeadSchema });
export type SyncConflictResponse = z.infer<typeof syncConflictResponseSchema>;

export const manifestQuerySchema = z.object({
  since: z.coerce.number().int().nonnegative().default(0),
});

/**
 * S21: the manifest as of `version`, compacted by the server: every commit up to `version` replayed (segments in
 * manifest order, the set of tombstones, the latest settings). Replaces the client's manifest outright.
 */
export const manifestCheckpointSchema = z.object({
  version: z.number().int().positive(),
  segments: z.array(segmentRefSchema),
  tombstones: z.array(tombstoneIdSchema),
  settings: z.string().nullable(),
});
export type ManifestCheckpoint = z.infer<typeof manifestCheckpointSchema>;

export const manifestResponseSchema = z.object({
  head: vaultHeadSchema,
  /**
   * S21: present only when `since` is below the server's checkpoint (the commits up to it are no longer kept):
   * start from this instead of your manifest, then apply `commits`, which continue from checkpoint.version.
   */
  checkpoint: manifestCheckpointSchema.optional(),
  /** S11: commits with version > since (or > checkpoint.version), oldest first, at most MANIFEST_PAGE_SIZE and MANIFEST_PAGE_BYTES. */
  commits: z.array(commitRecordSchema),
  /** More commits follow: ask again with since = the last version here. */
  hasMore: z.boolean(),
  /**
   * S24: the server's clock when it answered (epoch ms), so a device can tell its own clock is off (C40). Optional:
   * an older server leaves it out and the device then relies on C10's check alone.
   */
  serverTime: epochMsSchema.optional(),
});
export type ManifestResponse = z.infer<typeof manifestResponseSchema>;

// ---- Wrapped vault key (S12) ----------------------------------------------------------------------------------

const wrapSaltSchema = base64Schema.min(22).max(88);
const wrapIvSchema = base64Schema.length(16);
const wrapCiphertextSchema = base64Schema.min(24).max(1024);

/** Key-derivation parameters stored with a wrapped key, so any device can re-derive the same wrapping key. */
export const keyKdfSchema = z.discriminatedUnion('name', [
  /** Fallback where WASM is unavailable. */
  z.object({ name: z.literal('PBKDF2'), hash: z.literal('SHA-256'), iterations: z.number().int().min(100_000).max(10_000_000) }),
  z.object({
    name: z.literal('Argon2id'),
    /** KiB; at least 64 MiB. */
    memoryKiB: z.number().int().min(65_536).max(1_048_576),
    iterations: z.number().int().min(3).max(64),
    parallelism: z.number().int().min(1).max(16),
  }),
]);
export type KeyKdf = z.infer<typeof keyKdfSchema>;

/** The recovery code is 160 random bits: HKDF is enough to turn it into a wrapping key. */
export const recoveryWrapSchema = z.object({
  kdf: z.object({ name: z.literal('HKDF'), hash: z.literal('SHA-256') }),
  salt: wrapSaltSchema,
  iv: wrapIvSchema,
  ciphertext: wrapCiphertextSchema,
});
export type RecoveryWrap = z.infer<typeof recoveryWrapSchema>;

export const wrappedKeySchema = z.object({
  version: z.literal(1),
  /**
   * Random id of the vault (16 bytes, base64), chosen with the key; segments bind it in their associated data.
   * Optional only for keys stored before it existed; the sync engine refuses a key without it.
   */
  vaultId: base64Schema.length(24).optional(),
  kdf: keyKdfSchema,
  /** 16-64 random bytes. */
  salt: wrapSaltSchema,
  /** AES-GCM nonce: 12 bytes. */
  iv: wrapIvSchema,
  /** The vault key encrypted with the passphrase-derived key (AES-GCM, tag included). */
  ciphertext: wrapCiphertextSchema,
  /** The same vault key wrapped by the recovery code shown once at setup. */
  recovery: recoveryWrapSchema.optional(),
});
export type WrappedKey = z.infer<typeof wrappedKeySchema>;

export const putVaultKeyRequestSchema = z.object({
  /** S12: compare-and-set on the key revision: 0 to create the first key, the current revision to replace it. */
  expectedRevision: z.number().int().nonnegative(),
  wrappedKey: wrappedKeySchema,
});
export type PutVaultKeyRequest = z.infer<typeof putVaultKeyRequestSchema>;

export const vaultKeyResponseSchema = z.object({
  revision: z.number().int().positive(),
  wrappedKey: wrappedKeySchema,
  updatedAt: epochMsSchema,
});
export type VaultKeyResponse = z.infer<typeof vaultKeyResponseSchema>;

/** S12: the 409 body when the key changed meanwhile: the key that won (or null if none exists). */
export const vaultKeyConflictResponseSchema = errorEnvelopeSchema.extend({ current: vaultKeyResponseSchema.nullable() });
export type VaultKeyConflictResponse = z.infer<typeof vaultKeyConflictResponseSchema>;

// ---- Upload (import) records (S13) ----------------------------------------------------------------------------

export const UPLOAD_STATUSES = ['pending', 'processing', 'complete', 'failed', 'cancelled'] as const;
export const uploadStatusSchema = z.enum(UPLOAD_STATUSES);
export type UploadStatus = z.infer<typeof uploadStatusSchema>;

export const uploadCountsSchema = z.object({
  conversations: z.number().int().nonnegative(),
  nodesCreated: z.number().int().nonnegative(),
  nodesDeduplicated: z.number().int().nonnegative(),
});
export type UploadCounts = z.infer<typeof uploadCountsSchema>;

export const createUploadRequestSchema = z.object({
  deviceId: deviceIdSchema,
  provider: providerSchema,
  fileName: z.string().min(1).max(255),
  bytes: z.number().int().nonnegative(),
  status: uploadStatusSchema.default('pending'),
});
export type CreateUploadRequest = z.input<typeof createUploadRequestSchema>;

export const updateUploadRequestSchema = z
  .object({
    status: uploadStatusSchema,
    /** 0..1 */
    progress: z.number().min(0).max(1),
    counts: uploadCountsSchema,
    errorCode: errorCodeSchema.nullable(),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to update');
export type UpdateUploadRequest = z.infer<typeof updateUploadRequestSchema>;

export const uploadRecordSchema = z.object({
  id: z.uuid(),
  deviceId: deviceIdSchema,
  provider: providerSchema,
  fileName: z.string(),
  bytes: z.number().int().nonnegative(),
  status: uploadStatusSchema,
  progress: z.number().min(0).max(1),
  counts: uploadCountsSchema,
  errorCode: errorCodeSchema.nullable(),
  createdAt: epochMsSchema,
  updatedAt: epochMsSchema,
});
export type UploadRecord = z.infer<typeof uploadRecordSchema>;

export const uploadListResponseSchema = z.object({ uploads: z.array(uploadRecordSchema) });
export type UploadListResponse = z.infer<typeof uploadListResponseSchema>;

// ---- Vault status (S14) ---------------------------------------------------------------------------------------

export const vaultStatusResponseSchema = z.object({
  head: vaultHeadSchema,
  quotaBytes: z.number().int().nullable(),
  /** Verified blobs stored for this user, including ones no commit references yet. */
  storedBlobs: z.object({ count: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
  lastSyncAt: epochMsSchema.nullable(),
  hasVaultKey: z.boolean(),
  recentUploads: z.array(uploadRecordSchema),
});
export type VaultStatusResponse = z.infer<typeof vaultStatusResponseSchema>;
