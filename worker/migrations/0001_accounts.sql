-- Accounts, sessions, vault provisioning, daily usage and the throttling / replay tables.
-- Times are epoch milliseconds (INTEGER); days are UTC 'YYYY-MM-DD'.

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  -- Stored lower-cased and trimmed, so UNIQUE means one account per address.
  email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
  -- PBKDF2-SHA256: base64url hash and salt, and the iteration count used (so it can be raised later).
  password_hash TEXT NOT NULL,
  password_salt TEXT NOT NULL,
  password_iterations INTEGER NOT NULL,
  tier TEXT NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'premium')),
  created_at INTEGER NOT NULL,
  -- When the tier last changed, 0 if never (billing events older than this are ignored: they arrive out of order).
  tier_updated_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sessions (
  -- SHA-256 (hex) of the bearer/cookie token; the token itself is never stored.
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  revoked_at INTEGER,
  user_agent TEXT
);
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE vaults (
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  -- Bytes of verified blobs the vault holds; enforced against the tier's limit when blobs are committed.
  bytes_used INTEGER NOT NULL DEFAULT 0 CHECK (bytes_used >= 0),
  -- The vault key wrapped by the user's passphrase-derived key (base64); the server never sees it unwrapped.
  wrapped_key TEXT,
  wrapped_key_updated_at INTEGER
);

CREATE TABLE daily_usage (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  messages INTEGER NOT NULL DEFAULT 0 CHECK (messages >= 0),
  PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

-- Failed logins only, per (email, ip): a sliding window of failures throttles guessing.
CREATE TABLE login_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL,
  ip TEXT NOT NULL,
  attempted_at INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_email_ip ON login_attempts(email, ip, attempted_at);
CREATE INDEX login_attempts_by_time ON login_attempts(attempted_at);

-- Fixed-window request counters (e.g. 'auth:ip:1.2.3.4'), incremented atomically by upsert.
CREATE TABLE rate_limits (
  bucket TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (bucket, window_start)
) WITHOUT ROWID;
CREATE INDEX rate_limits_by_window ON rate_limits(window_start);

-- Billing webhook events already applied (replay protection by event id).
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
