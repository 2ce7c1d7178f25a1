-- Blob lifecycle (shared/sync/SPEC.md S17-S19): presigned-URL reservations that never shrink while a URL may still
-- write, the store's ETag recorded at verification (re-checked before the store is trusted again), and the mark of
-- the two-phase garbage collection. Times are epoch milliseconds.

-- S18: the largest size any presigned PUT URL for this blob was issued for. It counts toward S9 (with `size`) until
-- the sweep, after the last URL expired, has checked what the store holds.
ALTER TABLE blobs ADD COLUMN reserved_bytes INTEGER NOT NULL DEFAULT 0 CHECK (reserved_bytes >= 0);
-- S18: when the last presigned PUT URL issued for this blob expires; NULL once the sweep has settled the blob.
ALTER TABLE blobs ADD COLUMN upload_expires_at INTEGER;
-- S17: the store's ETag of the exact object the server hashed when it verified the blob.
ALTER TABLE blobs ADD COLUMN verified_etag TEXT;
-- S19: set when a verified blob is (or becomes) referenced by no manifest segment; cleared when a commit adds it.
ALTER TABLE blobs ADD COLUMN unreferenced_since INTEGER;

CREATE INDEX blobs_by_upload_expiry ON blobs(upload_expires_at) WHERE upload_expires_at IS NOT NULL;
CREATE INDEX blobs_by_unreferenced ON blobs(unreferenced_since) WHERE unreferenced_since IS NOT NULL;

-- Rows from before this migration: announced uploads get the window they were issued with (15 minutes), so the
-- sweep removes the ones never verified; verified blobs no segment references enter the grace period now.
UPDATE blobs SET reserved_bytes = size, upload_expires_at = created_at + 900000 WHERE verified_at IS NULL;
UPDATE blobs SET unreferenced_since = CAST(unixepoch('subsec') * 1000 AS INTEGER)
WHERE verified_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM vault_segments s WHERE s.user_id = blobs.user_id AND s.sha256 = blobs.sha256);

-- S20, S21: commit metadata counts against the vault. Each commit row records its metadata bytes (tombstones,
-- settings, segment lists as stored); vaults.meta_bytes is the sum over the commits still in the log plus the
-- checkpoint. Older commits are folded into one compacted checkpoint (stored in parts: a D1 value holds at most
-- 2 MB), which "manifest since N" serves instead of the folded commits.
ALTER TABLE vault_commits ADD COLUMN meta_bytes INTEGER NOT NULL DEFAULT 0 CHECK (meta_bytes >= 0);
UPDATE vault_commits SET meta_bytes = length(CAST(added_segments AS BLOB)) + length(CAST(removed_segments AS BLOB)) + length(CAST(tombstones AS BLOB)) + COALESCE(length(CAST(settings AS BLOB)), 0);
ALTER TABLE vaults ADD COLUMN meta_bytes INTEGER NOT NULL DEFAULT 0 CHECK (meta_bytes >= 0);
UPDATE vaults SET meta_bytes = (SELECT COALESCE(SUM(c.meta_bytes), 0) FROM vault_commits c WHERE c.user_id = vaults.user_id);
-- Commits up to this version are folded into the checkpoint (0: no checkpoint yet).
ALTER TABLE vaults ADD COLUMN checkpoint_version INTEGER NOT NULL DEFAULT 0 CHECK (checkpoint_version >= 0);
ALTER TABLE vaults ADD COLUMN checkpoint_bytes INTEGER NOT NULL DEFAULT 0 CHECK (checkpoint_bytes >= 0);
-- Random id written by the fold that won the compare-and-set on checkpoint_version; the rest of its batch is guarded by it.
ALTER TABLE vaults ADD COLUMN checkpoint_id TEXT;

-- The checkpoint's JSON ({segments, tombstones, settings} at checkpoint_version), split into consecutive parts.
CREATE TABLE vault_checkpoint_parts (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  part INTEGER NOT NULL CHECK (part >= 0),
  body TEXT NOT NULL,
  PRIMARY KEY (user_id, part)
) WITHOUT ROWID;
