/** Password checks per (email, IP), for throttling password guessing. */

export const LOGIN_FAILURE_LIMIT = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/**
 * Claims one password check for (email, ip): records it only if fewer than LOGIN_FAILURE_LIMIT are recorded in the
 * window, in ONE statement, so concurrent guesses cannot all pass a check made before any of them was counted.
 * Returns false when the client is throttled. A successful check forgets the records (clearFailures), so what stays
 * are the failures. Records too old to matter to anyone are dropped in the same batch.
 */
export async function claimPasswordAttempt(db: D1Database, email: string, ip: string, now: number): Promise<boolean> {
  const [claim] = await db.batch([
    db
      .prepare(
        `INSERT INTO login_attempts (email, ip, attempted_at)
         SELECT ?1, ?2, ?3
         WHERE (SELECT count(*) FROM login_attempts WHERE email = ?1 AND ip = ?2 AND attempted_at > ?4) < ?5`,
      )
      .bind(email, ip, now, now - LOGIN_FAILURE_WINDOW_MS, LOGIN_FAILURE_LIMIT),
    db.prepare('DELETE FROM login_attempts WHERE attempted_at <= ?1').bind(now - LOGIN_FAILURE_WINDOW_MS),
  ]);
  return (claim?.meta.changes ?? 0) === 1;
}

/** A successful password check forgets this client's failures for the email. */
export async function clearFailures(db: D1Database, email: string, ip: string): Promise<void> {
  await db.prepare('DELETE FROM login_attempts WHERE email = ?1 AND ip = ?2').bind(email, ip).run();
}
