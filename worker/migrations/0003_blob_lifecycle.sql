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
