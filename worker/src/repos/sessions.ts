/** Sessions: random tokens stored only as SHA-256 hashes, with a sliding expiry, an absolute cap and revocation. */
import { z } from 'zod';
import type { AuthUser } from '../env';
import { tierSchema } from '../tiers';
import { parseRow } from './rows';

/** A session lives this long after its last use (sliding expiry). */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** No session outlives this, however often it is used: a stolen token cannot be kept alive forever. */
export const SESSION_MAX_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;
/** Refresh last_seen_at / expires_at at most this often, so most requests only read. */
const TOUCH_INTERVAL_MS = 60 * 60 * 1000;

const activeSessionRowSchema = z.object({
  token_hash: z.string(),
  created_at: z.number(),
  expires_at: z.number(),
  last_seen_at: z.number(),
  user_id: z.string(),
  email: z.string(),
  tier: tierSchema,
  deleting_at: z.number().nullable(),
});

export interface ActiveSession {
  tokenHash: string;
  expiresAt: number;
  /** True when this lookup slid the expiry forward (a cookie client should get a fresh cookie lifetime). */
  extended: boolean;
  /** The account is being deleted: the session may only finish that (auth/middleware.ts). */
  deleting: boolean;
  user: AuthUser;
}

/** Starts a session; the user's expired and long-revoked sessions are dropped in the same batch. */
export async function createSession(
  db: D1Database,
  session: { tokenHash: string; userId: string; now: number; userAgent: string | null },
): Promise<{ expiresAt: number }> {
  const expiresAt = session.now + SESSION_TTL_MS;
  await db.batch([
    db
      .prepare(
        `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?3, ?5)`,
      )
      .bind(session.tokenHash, session.userId, session.now, expiresAt, session.userAgent?.slice(0, 256) ?? null),
    db
      .prepare('DELETE FROM sessions WHERE user_id = ?1 AND (expires_at <= ?2 OR revoked_at <= ?2 - ?3)')
      .bind(session.userId, session.now, SESSION_TTL_MS),
  ]);
  return { expiresAt };
}

/**
 * The unexpired, unrevoked session with this token hash and its user, sliding the expiry forward when due (never past
 * created_at + SESSION_MAX_LIFETIME_MS; the created_at check also covers rows slid before the cap existed).
 */
export async function findActiveSession(db: D1Database, tokenHash: string, now: number): Promise<ActiveSession | null> {
  const row = await db
    .prepare(
      `SELECT s.token_hash, s.created_at, s.expires_at, s.last_seen_at, u.id AS user_id, u.email, u.tier, u.deleting_at
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token_hash = ?1 AND s.revoked_at IS NULL AND s.expires_at > ?2 AND s.created_at > ?2 - ?3`,
    )
    .bind(tokenHash, now, SESSION_MAX_LIFETIME_MS)
    .first();
  if (row === null) return null;
  const r = parseRow(activeSessionRowSchema, row, 'sessions');
  const cap = r.created_at + SESSION_MAX_LIFETIME_MS;
  let expiresAt = Math.min(r.expires_at, cap);
  const extended = now - r.last_seen_at >= TOUCH_INTERVAL_MS;
  if (extended) {
    expiresAt = Math.min(now + SESSION_TTL_MS, cap);
    await db
      .prepare('UPDATE sessions SET last_seen_at = ?2, expires_at = ?3 WHERE token_hash = ?1 AND revoked_at IS NULL')
      .bind(tokenHash, now, expiresAt)
      .run();
  }
  return { tokenHash: r.token_hash, expiresAt, extended, deleting: r.deleting_at !== null, user: { id: r.user_id, email: r.email, tier: r.tier } };
}

export async function revokeSession(db: D1Database, userId: string, tokenHash: string, now: number): Promise<void> {
  await db
    .prepare('UPDATE sessions SET revoked_at = ?3 WHERE token_hash = ?2 AND user_id = ?1 AND revoked_at IS NULL')
    .bind(userId, tokenHash, now)
    .run();
}

/** Revokes every session of the user except `keepTokenHash` (after a password change). Returns how many. */
export async function revokeOtherSessions(db: D1Database, userId: string, keepTokenHash: string, now: number): Promise<number> {
  const result = await db
    .prepare('UPDATE sessions SET revoked_at = ?3 WHERE user_id = ?1 AND token_hash != ?2 AND revoked_at IS NULL')
    .bind(userId, keepTokenHash, now)
    .run();
  return result.meta.changes;
}
