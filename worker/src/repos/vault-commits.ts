/**
 * The D1 adapter of the vault-head port (vault-head-port.ts): the manifest head (on the vault row), the commit log
 * with its checkpoint and the live segment set (SPEC S5, S6, S10, S11, S20, S21), and the wrapped vault key (S12). Both the head and the key change only by compare-and-set on a counter in D1: B2 has no
 * conditional writes, so the blob store never decides who won.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import {
  MANIFEST_PAGE_BYTES,
  MANIFEST_PAGE_SIZE,
  MAX_VAULT_METADATA_BYTES,
  commitRecordSchema,
  manifestCheckpointSchema,
  vaultStatsSchema,
  wrappedKeySchema,
  type CommitRecord,
  type ManifestCheckpoint,
  type SegmentRef,
  type VaultHead,
  type VaultKeyResponse,
  type WrappedKey,
} from '../../../shared/sync/protocol';
import { applyCommits, checkpointOf, commitMetadataBytes, emptyManifest, manifestFromCheckpoint } from '../../../shared/sync/manifest';
import { parseRow, parseRows } from './rows';
import type { CommitInput, CommitOutcome, ManifestPage, PutKeyOutcome, VaultHeads } from './vault-head-port';
import { createVaultIfAbsent } from './vaults';

const headRowSchema = z.object({
  version: z.number().int(),
  segment_count: z.number().int(),
  bytes_used: z.number().int(),
  tombstone_count: z.number().int(),
  meta_bytes: z.number().int(),
  settings: z.string().nullable(),
  stats: z.string().nullable(),
  head_updated_at: z.number().int().nullable(),
});

const HEAD_COLUMNS = 'version, segment_count, bytes_used, tombstone_count, meta_bytes, settings, stats, head_updated_at';

function toHead(row: z.infer<typeof headRowSchema>): VaultHead {
  return {
    version: row.version,
    segmentCount: row.segment_count,
    bytes: row.bytes_used,
    tombstoneCount: row.tombstone_count,
    metaBytes: row.meta_bytes,
    settings: row.settings,
    stats: row.stats === null ? null : vaultStatsSchema.parse(JSON.parse(row.stats)),
    updatedAt: row.head_updated_at,
  };
}

export async function getHead(db: D1Database, userId: string, now: number): Promise<VaultHead> {
  const [, select] = await db.batch([createVaultIfAbsent(db, userId, now), db.prepare(`SELECT ${HEAD_COLUMNS} FROM vaults WHERE user_id = ?`).bind(userId)]);
  return toHead(parseRow(headRowSchema, select?.results[0], 'vault head'));
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * S5/S6/S10: compare-and-set commit. Reads happen first under the base version; the batch then moves the head only
 * if it is still at that version, and every other statement in the batch is guarded by this attempt's commit id, so
 * a lost race writes nothing. Throws BLOB_MISSING or VAULT_FULL; a lost race is a value ({ok: false, head}).
 */
export async function commitToVault(db: D1Database, input: CommitInput): Promise<CommitOutcome> {
  const added = unique(input.addedSegments);
  const removed = unique(input.removedSegments);
  // One round trip for every read: the head, and for each hash whether it is a verified blob and already live.
  const [, headRead, factsRead] = await db.batch([
    createVaultIfAbsent(db, input.userId, input.now),
    db.prepare(`SELECT ${HEAD_COLUMNS} FROM vaults WHERE user_id = ?`).bind(input.userId),
    db
      .prepare(
        `SELECT j.value AS sha256, b.size AS blob_size, b.verified_at AS verified_at, s.size AS live_size
         FROM json_each(?) j
         LEFT JOIN blobs b ON b.user_id = ? AND b.sha256 = j.value
         LEFT JOIN vault_segments s ON s.user_id = ? AND s.sha256 = j.value`,
      )
      .bind(JSON.stringify(unique([...added, ...removed])), input.userId, input.userId),
  ]);
  const head = toHead(parseRow(headRowSchema, headRead?.results[0], 'vault head'));
  if (head.version !== input.baseVersion) return { ok: false, head };

  const facts = parseRows(segmentFactsSchema, factsRead?.results ?? [], 'segment facts');
  const verified = new Map(facts.filter((f) => f.verified_at !== null && f.blob_size !== null).map((f) => [f.sha256, f.blob_size ?? 0]));
  const live = new Map(facts.filter((f) => f.live_size !== null).map((f) => [f.sha256, f.live_size ?? 0]));
  const missing = added.filter((hash) => !verified.has(hash));
  if (missing.length > 0) throw new AppError('BLOB_MISSING', { detail: `${missing.length} segment(s) not uploaded or not verified` });

  // Same order as shared/sync/manifest.ts applyCommits: removals first, then additions not already present.
  let bytes = head.bytes;
  let segmentCount = head.segmentCount;
  for (const hash of removed) {
    const size = live.get(hash);
    if (size === undefined) continue;
    live.delete(hash);
    bytes -= size;
    segmentCount -= 1;
  }
  for (const hash of added) {
    if (live.has(hash)) continue;
    const size = verified.get(hash) ?? 0;
    live.set(hash, size);
    bytes += size;
    segmentCount += 1;
  }
  const version = input.baseVersion + 1;
  const tombstones = unique(input.tombstones);
  const addedRefs: SegmentRef[] = added.map((sha256) => ({ sha256, size: verified.get(sha256) ?? 0 }));
  // S20: the commit's own metadata counts too, and a vault holds at most MAX_VAULT_METADATA_BYTES of it. Past that,
  // only commits without tombstones or settings pass, so a vault can always still compact (folding shrinks them).
  const commitMeta = commitMetadataBytes({ addedSegments: addedRefs, removedSegments: removed, tombstones, settings: input.settings });
  const metaBytes = head.metaBytes + commitMeta;
  if (metaBytes > MAX_VAULT_METADATA_BYTES && (tombstones.length > 0 || input.settings !== null)) {
    throw new AppError('VAULT_HISTORY_FULL', { detail: `${metaBytes} metadata bytes after commit, a vault keeps ${MAX_VAULT_METADATA_BYTES}` });
  }
  // S10 with S20: segments plus metadata must fit the plan. A commit that does not grow the segments is always
  // allowed (its metadata is bounded by the check above), so a downgraded user can still delete and compact.
  const total = bytes + metaBytes;
  if (input.quotaBytes !== null && total > input.quotaBytes && bytes > head.bytes) {
    throw new AppError('VAULT_FULL', { detail: `${total} bytes after commit, plan allows ${input.quotaBytes}` });
  }

  const guard = 'EXISTS (SELECT 1 FROM vaults WHERE user_id = ? AND last_commit_id = ?)';
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE vaults SET version = version + 1, bytes_used = ?, segment_count = ?, tombstone_count = tombstone_count + ?,
           meta_bytes = meta_bytes + ?, settings = COALESCE(?, settings), stats = COALESCE(?, stats), head_updated_at = ?, last_commit_id = ?
         WHERE user_id = ? AND version = ?
           AND (SELECT COUNT(*) FROM blobs WHERE user_id = ? AND verified_at IS NOT NULL AND sha256 IN (SELECT value FROM json_each(?))) = ?`,
      )
      // The last condition: every added blob is still verified, so garbage collection (S19) or a failed
      // re-verification (S17) between the reads above and this batch makes the commit lose instead of half-apply.
      .bind(bytes, segmentCount, tombstones.length, commitMeta, input.settings, input.stats === null ? null : JSON.stringify(input.stats), input.now, input.commitId, input.userId, input.baseVersion, input.userId, JSON.stringify(added), added.length),
    db
      .prepare(
        `INSERT INTO vault_commits (user_id, version, device_id, added_segments, removed_segments, tombstones, settings, created_at, meta_bytes)
         SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${guard}`,
      )
      .bind(input.userId, version, input.deviceId, JSON.stringify(addedRefs), JSON.stringify(removed), JSON.stringify(tombstones), input.settings, input.now, commitMeta, input.userId, input.commitId),
    db
      .prepare(`DELETE FROM vault_segments WHERE user_id = ? AND sha256 IN (SELECT value FROM json_each(?)) AND ${guard}`)
      .bind(input.userId, JSON.stringify(removed), input.userId, input.commitId),
    db
      .prepare(
        `INSERT INTO vault_segments (user_id, sha256, size, added_version)
         SELECT b.user_id, b.sha256, b.size, ? FROM blobs b
         WHERE b.user_id = ? AND b.sha256 IN (SELECT value FROM json_each(?)) AND ${guard}
         ON CONFLICT (user_id, sha256) DO NOTHING`,
      )
      .bind(version, input.userId, JSON.stringify(added), input.userId, input.commitId),
    // S19 mark phase: added blobs are referenced again; removed ones no segment uses any more start their grace period.
    db
      .prepare(`UPDATE blobs SET unreferenced_since = NULL WHERE user_id = ? AND sha256 IN (SELECT value FROM json_each(?)) AND ${guard}`)
      .bind(input.userId, JSON.stringify(added), input.userId, input.commitId),
    db
      .prepare(
        `UPDATE blobs SET unreferenced_since = ? WHERE user_id = ? AND sha256 IN (SELECT value FROM json_each(?)) AND verified_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM vault_segments s WHERE s.user_id = blobs.user_id AND s.sha256 = blobs.sha256) AND ${guard}`,
      )
      .bind(input.now, input.userId, JSON.stringify(removed), input.userId, input.commitId),
  ]);
  // Lost the race between our read and our write: report the head that won.
  if ((update?.meta.changes ?? 0) !== 1) return { ok: false, head: await getHead(db, input.userId, input.now) };
  return {
    ok: true,
    // The head exactly as this commit left it (a later commit may already have moved it on).
    head: {
      version,
      segmentCount,
      bytes,
      tombstoneCount: head.tombstoneCount + tombstones.length,
      metaBytes,
      settings: input.settings ?? head.settings,
      stats: input.stats ?? head.stats,
      updatedAt: input.now,
    },
    commit: { version, deviceId: input.deviceId, addedSegments: addedRefs, removedSegments: removed, tombstones, settings: input.settings, createdAt: input.now },
  };
}

const segmentFactsSchema = z.object({
  sha256: z.string(),
  blob_size: z.number().int().nullable(),
  verified_at: z.number().int().nullable(),
  live_size: z.number().int().nullable(),
});

const commitRowSchema = z.object({
  version: z.number().int(),
  device_id: z.string(),
  added_segments: z.string(),
  removed_segments: z.string(),
  tombstones: z.string(),
  settings: z.string().nullable(),
  created_at: z.number().int(),
});

/**
 * S11, S21: commits in (since, upTo], oldest first, one page: at most MANIFEST_PAGE_SIZE commits and, after the
 * first, MANIFEST_PAGE_BYTES of metadata. The sizes are read first, so a page never loads more than it returns.
 */
export async function listCommitsSince(
  db: D1Database,
  userId: string,
  since: number,
  upTo: number,
  pageBytes = MANIFEST_PAGE_BYTES,
): Promise<{ commits: CommitRecord[]; hasMore: boolean }> {
  const { results: sizes } = await db
    .prepare('SELECT version, meta_bytes FROM vault_commits WHERE user_id = ? AND version > ? AND version <= ? ORDER BY version LIMIT ?')
    .bind(userId, since, upTo, MANIFEST_PAGE_SIZE + 1)
    .all();
  const versions = parseRows(commitSizeRowSchema, sizes, 'commit size');
  let last = since;
  let bytes = 0;
  for (const [index, row] of versions.entries()) {
    if (index >= MANIFEST_PAGE_SIZE || (index > 0 && bytes + row.meta_bytes > pageBytes)) break;
    bytes += row.meta_bytes;
    last = row.version;
  }
  if (last === since) return { commits: [], hasMore: false };
  const { results } = await db
    .prepare(
      `SELECT version, device_id, added_segments, removed_segments, tombstones, settings, created_at FROM vault_commits
       WHERE user_id = ? AND version > ? AND version <= ? ORDER BY version`,
    )
    .bind(userId, since, last)
    .all();
  const commits = parseRows(commitRowSchema, results, 'commit').map((row) => toCommit(row));
  return { commits, hasMore: versions.some((row) => row.version > last) };
}

const commitSizeRowSchema = z.object({ version: z.number().int(), meta_bytes: z.number().int() });

function toCommit(row: z.infer<typeof commitRowSchema>): CommitRecord {
  return commitRecordSchema.parse({
    version: row.version,
    deviceId: row.device_id,
    addedSegments: JSON.parse(row.added_segments) as unknown,
    removedSegments: JSON.parse(row.removed_segments) as unknown,
    tombstones: JSON.parse(row.tombstones) as unknown,
    settings: row.settings,
    createdAt: row.created_at,
  });
}

// ---- Checkpoint (S21) -----------------------------------------------------------------------------------------

/** Commits after the checkpoint that are never folded: a device a few commits behind pulls commits, not the checkpoint. */
export const CHECKPOINT_KEEP_COMMITS = 16;
/** Fold once this many commits, or this many metadata bytes, wait before the kept tail. */
export const CHECKPOINT_FOLD_COMMITS = 32;
export const CHECKPOINT_FOLD_BYTES = 256 * 1024;
/** A D1 value holds at most 2 MB; a character of JSON is at most 4 bytes of UTF-8. */
const CHECKPOINT_PART_CHARS = 400_000;

/** The checkpoint's version and content, read in one transaction (null when the vault has none yet). */
export async function getCheckpoint(db: D1Database, userId: string): Promise<ManifestCheckpoint | null> {
  const [vault, parts] = await db.batch([
    db.prepare('SELECT checkpoint_version FROM vaults WHERE user_id = ?').bind(userId),
    db.prepare('SELECT body FROM vault_checkpoint_parts WHERE user_id = ? ORDER BY part').bind(userId),
  ]);
  const version = parseRow(z.object({ checkpoint_version: z.number().int() }), vault?.results[0], 'checkpoint version').checkpoint_version;
  if (version === 0) return null;
  const body = parseRows(z.object({ body: z.string() }), parts?.results ?? [], 'checkpoint part').map((p) => p.body).join('');
  const checkpoint = manifestCheckpointSchema.parse(JSON.parse(body));
  if (checkpoint.version !== version) throw new AppError('INTERNAL', { detail: 'checkpoint parts disagree with the vault row' });
  return checkpoint;
}

/**
 * S21: folds the commits between the checkpoint and the kept tail into a new checkpoint, when enough have
 * gathered, and drops them from the log: the vault's metadata becomes the checkpoint plus the tail. Compare-and-set
 * on the checkpoint version (a concurrent fold loses and writes nothing). Returns the new checkpoint version, or
 * null when there was nothing to fold.
 */
export async function foldCheckpoint(db: D1Database, userId: string, foldId: string): Promise<number | null> {
  const row = await db.prepare('SELECT version, checkpoint_version, checkpoint_bytes FROM vaults WHERE user_id = ?').bind(userId).first();
  if (row === null) return null;
  const vault = parseRow(z.object({ version: z.number().int(), checkpoint_version: z.number().int(), checkpoint_bytes: z.number().int() }), row, 'vault');
  const upTo = vault.version - CHECKPOINT_KEEP_COMMITS;
  if (upTo <= vault.checkpoint_version) return null;
  const { results: sizes } = await db
    .prepare('SELECT version, meta_bytes FROM vault_commits WHERE user_id = ? AND version > ? AND version <= ? ORDER BY version')
    .bind(userId, vault.checkpoint_version, upTo)
    .all();
  const pending = parseRows(commitSizeRowSchema, sizes, 'commit size');
  const pendingBytes = pending.reduce((sum, r) => sum + r.meta_bytes, 0);
  if (pending.length < CHECKPOINT_FOLD_COMMITS && pendingBytes < CHECKPOINT_FOLD_BYTES) return null;

  // At most MAX_VAULT_METADATA_BYTES of commits per fold (S20 bounds them anyway), so memory stays bounded.
  const old = await getCheckpoint(db, userId);
  if ((old?.version ?? 0) !== vault.checkpoint_version) return null;
  let manifest = old === null ? emptyManifest() : manifestFromCheckpoint(old);
  let foldedBytes = 0;
  for (let from = vault.checkpoint_version; from < upTo; ) {
    const page = await listCommitsSince(db, userId, from, upTo);
    if (page.commits.length === 0) break;
    manifest = applyCommits(manifest, page.commits);
    from = manifest.version;
  }
  if (manifest.version <= vault.checkpoint_version) return null;
  for (const r of pending) if (r.version <= manifest.version) foldedBytes += r.meta_bytes;
  const body = JSON.stringify(checkpointOf(manifest));
  const newBytes = new TextEncoder().encode(body).byteLength;
  const parts: string[] = [];
  for (let i = 0; i < body.length; i += CHECKPOINT_PART_CHARS) parts.push(body.slice(i, i + CHECKPOINT_PART_CHARS));

  const guard = 'EXISTS (SELECT 1 FROM vaults WHERE user_id = ? AND checkpoint_id = ?)';
  const [update] = await db.batch([
    db
      .prepare(
        `UPDATE vaults SET checkpoint_version = ?, checkpoint_bytes = ?, checkpoint_id = ?, meta_bytes = meta_bytes - ? - ? + ?
         WHERE user_id = ? AND checkpoint_version = ?`,
      )
      .bind(manifest.version, newBytes, foldId, foldedBytes, vault.checkpoint_bytes, newBytes, userId, vault.checkpoint_version),
    db.prepare(`DELETE FROM vault_checkpoint_parts WHERE user_id = ? AND ${guard}`).bind(userId, userId, foldId),
    ...parts.map((part, index) =>
      db.prepare(`INSERT INTO vault_checkpoint_parts (user_id, part, body) SELECT ?, ?, ? WHERE ${guard}`).bind(userId, index, part, userId, foldId),
    ),
    db.prepare(`DELETE FROM vault_commits WHERE user_id = ? AND version <= ? AND ${guard}`).bind(userId, manifest.version, userId, foldId),
  ]);
  return (update?.meta.changes ?? 0) === 1 ? manifest.version : null;
}

// ---- Wrapped vault key (S12) ----------------------------------------------------------------------------------

const keyRowSchema = z.object({
  wrapped_key: z.string().nullable(),
  wrapped_key_revision: z.number().int(),
  wrapped_key_updated_at: z.number().int().nullable(),
});

function toKey(row: z.infer<typeof keyRowSchema>): VaultKeyResponse | null {
  if (row.wrapped_key === null || row.wrapped_key_updated_at === null || row.wrapped_key_revision === 0) return null;
  return { revision: row.wrapped_key_revision, wrappedKey: wrappedKeySchema.parse(JSON.parse(row.wrapped_key)), updatedAt: row.wrapped_key_updated_at };
}

export async function getVaultKey(db: D1Database, userId: string, now: number): Promise<VaultKeyResponse | null> {
  const [, select] = await db.batch([
    createVaultIfAbsent(db, userId, now),
    db.prepare('SELECT wrapped_key, wrapped_key_revision, wrapped_key_updated_at FROM vaults WHERE user_id = ?').bind(userId),
  ]);
  return toKey(parseRow(keyRowSchema, select?.results[0], 'vault key'));
}

/** Stores the key only if the stored revision is still `expectedRevision`; otherwise returns the current key. */
export async function putVaultKey(
  db: D1Database,
  userId: string,
  expectedRevision: number,
  wrappedKey: WrappedKey,
  now: number,
): Promise<PutKeyOutcome> {
  const [, update] = await db.batch([
    createVaultIfAbsent(db, userId, now),
    db
      .prepare(
        `UPDATE vaults SET wrapped_key = ?, wrapped_key_revision = wrapped_key_revision + 1, wrapped_key_updated_at = ?
         WHERE user_id = ? AND wrapped_key_revision = ?`,
      )
      .bind(JSON.stringify(wrappedKey), now, userId, expectedRevision),
  ]);
  if ((update?.meta.changes ?? 0) === 1) return { ok: true, key: { revision: expectedRevision + 1, wrappedKey, updatedAt: now } };
  return { ok: false, current: await getVaultKey(db, userId, now) };
}

// ---- Manifest since N (S11, S21) ------------------------------------------------------------------------------

const MANIFEST_READ_ATTEMPTS = 3;

/**
 * S11, S21: the head and what a device at `since` needs next: the checkpoint when `since` is below it (the
 * commits up to it are gone), then one page of commits. A fold landing between the reads shows up as commits that
 * do not follow on; the read is then repeated.
 */
export async function readManifestPage(db: D1Database, userId: string, since: number, now: number): Promise<ManifestPage> {
  for (let attempt = 0; attempt < MANIFEST_READ_ATTEMPTS; attempt += 1) {
    const [, headRead] = await db.batch([
      createVaultIfAbsent(db, userId, now),
      db.prepare(`SELECT ${HEAD_COLUMNS}, checkpoint_version FROM vaults WHERE user_id = ?`).bind(userId),
    ]);
    const row = parseRow(headRowSchema.extend({ checkpoint_version: z.number().int() }), headRead?.results[0], 'vault head');
    const head = toHead(row);
    let checkpoint: ManifestCheckpoint | null = null;
    if (since < row.checkpoint_version) {
      checkpoint = await getCheckpoint(db, userId);
      if (checkpoint === null) continue;
    }
    const from = checkpoint?.version ?? since;
    // Commits up to the head just read, so a commit landing in between cannot make the answer disagree with itself.
    const page = await listCommitsSince(db, userId, from, head.version);
    const first = page.commits[0];
    if (first !== undefined && first.version !== from + 1) continue;
    if (first === undefined && from < head.version) continue;
    return { head, checkpoint, commits: page.commits, hasMore: page.hasMore };
  }
  throw new AppError('INTERNAL', { detail: 'manifest kept changing under the read' });
}

/** The vault-head port over one D1 database (every user's vault row and commit log in it). */
export function d1VaultHeads(db: D1Database): VaultHeads {
  return {
    getHead: (userId, now) => getHead(db, userId, now),
    commit: (input) => commitToVault(db, input),
    readManifest: (userId, since, now) => readManifestPage(db, userId, since, now),
    foldCheckpoint: (userId, foldId) => foldCheckpoint(db, userId, foldId),
    getVaultKey: (userId, now) => getVaultKey(db, userId, now),
    putVaultKey: (userId, expectedRevision, wrappedKey, now) => putVaultKey(db, userId, expectedRevision, wrappedKey, now),
  };
}
