-- Account hardening (issue 9, items 5 and 7): phased account deletion, client-derived login secrets, known devices,
-- and the per-account password-check limit. Times are epoch milliseconds.

-- Set when deletion starts (phase 1): from then on the account's sessions can only finish the deletion.
ALTER TABLE users ADD COLUMN deleting_at INTEGER;
-- The Argon2id parameters (JSON, shared/auth/login-secret.ts) the client derives its login secret with; the password
-- hash is then PBKDF2 over that secret. NULL: an account from before, whose hash is over the password itself; it is
-- migrated at its next login.
ALTER TABLE users ADD COLUMN login_kdf TEXT;

-- Deleted (or being deleted) accounts whose blob prefix gets one more sweep once every presigned PUT URL issued before
-- the deletion has expired. No foreign key: the row outlives the user's rows on purpose.
CREATE TABLE account_deletions (
  user_id TEXT PRIMARY KEY,
  requested_at INTEGER NOT NULL,
  final_sweep_after INTEGER NOT NULL
);
CREATE INDEX account_deletions_by_sweep ON account_deletions(final_sweep_after);

-- Devices that signed in successfully before (token stored as SHA-256 hex): they skip the per-account backoff, so
-- guessing from elsewhere cannot lock the owner out of a device they already use.
CREATE TABLE known_devices (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL
);
CREATE INDEX known_devices_by_user ON known_devices(user_id, last_used_at);

-- The per-account limit counts password checks for an email across every IP.
CREATE INDEX login_attempts_by_email_time ON login_attempts(email, attempted_at);
