/**
 * Password checks, for throttling password guessing on two levels:
 *   - per (email, IP): LOGIN_FAILURE_LIMIT checks in LOGIN_FAILURE_WINDOW_MS;
 *   - per account (email) across every IP: ACCOUNT_FREE_FAILURES in ACCOUNT_WINDOW_MS, then each further check must
 *     wait ACCOUNT_BACKOFF_BASE_MS doubled per failure beyond that, never more than ACCOUNT_BACKOFF_CAP_MS. Devices the
 *     account signed in from before skip this level, so guessing from elsewhere cannot lock the owner out of a device
 *     they already use, and a new device waits at most the cap: nobody is locked out forever.
 * Unknown emails are throttled the same way as real ones, so the answers do not tell them apart.
 */

export const LOGIN_FAILURE_LIMIT = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;
export const ACCOUNT_FREE_FAILURES = 10;
export const ACCOUNT_WINDOW_MS = 24 * 60 * 60 * 1000;
export const ACCOUNT_BACKOFF_BASE_MS = 30 * 1000;
export const ACCOUNT_BACKOFF_CAP_MS = 60 * 60 * 1000;

/**
 * Claims one password check for (email, ip): records it only if both levels allow it, in ONE statement, so
 * concurrent guesses cannot all pass a check made before any of them was counted. Returns false when throttled.
 * A successful check forgets this client's records (clearFailures), so what stays are the failures. Records too old
 * to matter to anyone are dropped in the same batch.
 */
export async function claimPasswordAttempt(
  db: D1Database,
  email: string,
  ip: string,
  now: number,
  options: { knownDevice: boolean } = { knownDevice: false },
): Promise<boolean> {
  const [claim] = await db.batch([
    db
      .prepare(
        `INSERT INTO login_attempts (email, ip, attempted_at)
         SELECT ?1, ?2, ?3
         WHERE (SELECT count(*) FROM login_attempts WHERE email = ?1 AND ip = ?2 AND attempted_at > ?4) < ?5
           AND (?6 OR (SELECT n < ?8 OR last <= ?3 - MIN(?10, ?9 << MIN(n - ?8, 30))
                       FROM (SELECT count(*) AS n, max(attempted_at) AS last FROM login_attempts WHERE email = ?1 AND attempted_at > ?7)))`,
      )
      .bind(
        email,
        ip,
        now,
        now - LOGIN_FAILURE_WINDOW_MS,
        LOGIN_FAILURE_LIMIT,
        options.knownDevice ? 1 : 0,
        now - ACCOUNT_WINDOW_MS,
        ACCOUNT_FREE_FAILURES,
        ACCOUNT_BACKOFF_BASE_MS,
        ACCOUNT_BACKOFF_CAP_MS,
      ),
    db.prepare('DELETE FROM login_attempts WHERE attempted_at <= ?1').bind(now - ACCOUNT_WINDOW_MS),
  ]);
  return (claim?.meta.changes ?? 0) === 1;
}

/** A successful password check forgets this client's failures for the email. */
export async function clearFailures(db: D1Database, email: string, ip: string): Promise<void> {
  await db.prepare('DELETE FROM login_attempts WHERE email = ?1 AND ip = ?2').bind(email, ip).run();
}
