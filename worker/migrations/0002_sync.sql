-- Sync (shared/sync/SPEC.md): verified blobs, the manifest head on the vault row (compare-and-set on `version`),
-- the commit log that "manifest since N" replays, the live segment set the quota counts, and upload records.
-- Times are epoch milliseconds.

-- The head of the manifest lives on the vault row; vaults.bytes_used is the sum of the live segments' sizes (S10).
ALTER TABLE vaults ADD COLUMN version INTEGER NOT NULL DEFAULT 0 CHECK (version >= 0);
ALTER TABLE vaults ADD COLUMN segment_count INTEGER NOT NULL DEFAULT 0 CHECK (segment_count >= 0);
ALTER TABLE vaults ADD COLUMN tombstone_count INTEGER NOT NULL DEFAULT 0 CHECK (tombstone_count >= 0);
-- The encrypted settings document (base64), replaced whole by a commit that carries one (S7).
ALTER TABLE vaults ADD COLUMN settings TEXT;
-- Client-reported plaintext counts ({"nodes":n,"conversations":n}) for the status page.
ALTER TABLE vaults ADD COLUMN stats TEXT;
ALTER TABLE vaults ADD COLUMN head_updated_at INTEGER;
-- Random id written by the winning compare-and-set; the rest of the commit's batch is guarded by it (S5).
ALTER TABLE vaults ADD COLUMN last_commit_id TEXT;
-- Compare-and-set counter for vaults.wrapped_key (S12): 0 while no key is stored.
ALTER TABLE vaults ADD COLUMN wrapped_key_revision INTEGER NOT NULL DEFAULT 0 CHECK (wrapped_key_revision >= 0);

-- A blob row exists once the bytes are in the store; verified_at is set only after the server checked size and
-- SHA-256 of the stored bytes (S4, S8). Only verified blobs can be referenced by a commit.
CREATE TABLE blobs (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
  size INTEGER NOT NULL CHECK (size >= 0),
  verified_at INTEGER,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, sha256)
) WITHOUT ROWID;

-- One row per accepted commit: what "manifest since N" returns (S11). JSON arrays of hashes / ids.
CREATE TABLE vault_commits (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  version INTEGER NOT NULL CHECK (version > 0),
  device_id TEXT NOT NULL,
  added_segments TEXT NOT NULL,
  removed_segments TEXT NOT NULL,
  tombstones TEXT NOT NULL,
  settings TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, version)
) WITHOUT ROWID;

-- The segments in the current manifest (S6, S10): the quota and the status page count these.
CREATE TABLE vault_segments (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL CHECK (size >= 0),
  added_version INTEGER NOT NULL,
  PRIMARY KEY (user_id, sha256)
) WITHOUT ROWID;

-- Import records reported by devices (S13); any device of the user lists them.
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  file_name TEXT NOT NULL,
  bytes INTEGER NOT NULL CHECK (bytes >= 0),
  status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'complete', 'failed', 'cancelled')),
  progress REAL NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  conversations INTEGER NOT NULL DEFAULT 0,
  nodes_created INTEGER NOT NULL DEFAULT 0,
  nodes_deduplicated INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX uploads_by_user_recent ON uploads(user_id, updated_at DESC);
