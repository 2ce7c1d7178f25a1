/** Devices that signed in to an account before (token stored as its SHA-256 only); see login-attempts.ts. */

/** Devices remembered per account; the least recently used go first. */
export const MAX_KNOWN_DEVICES = 20;

export async function isKnownDevice(db: D1Database, userId: string, tokenHash: string, now: number): Promise<boolean> {
  const result = await db
    .prepare('UPDATE known_devices SET last_used_at = ?3 WHERE token_hash = ?1 AND user_id = ?2')
    .bind(tokenHash, userId, now)
    .run();
  return result.meta.changes > 0;
}

export async function rememberDevice(db: D1Database, userId: string, tokenHash: string, now: number): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO known_devices (token_hash, user_id, created_at, last_used_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (token_hash) DO NOTHING`,
      )
      .bind(tokenHash, userId, now),
    db
      .prepare(
        `DELETE FROM known_devices WHERE user_id = ?1 AND token_hash NOT IN (
           SELECT token_hash FROM known_devices WHERE user_id = ?1 ORDER BY last_used_at DESC LIMIT ?2)`,
      )
      .bind(userId, MAX_KNOWN_DEVICES),
  ]);
}
