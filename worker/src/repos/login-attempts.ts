/** Failed logins per (email, IP), for throttling password guessing. */
import { z } from 'zod';
import { parseRow } from './rows';

export const LOGIN_FAILURE_LIMIT = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

export async function countRecentFailures(db: D1Database, email: string, ip: string, now: number): Promise<number> {
  const row = await db
    .prepare('SELECT count(*) AS n FROM login_attempts WHERE email = ?1 AND ip = ?2 AND attempted_at > ?3')
    .bind(email, ip, now - LOGIN_FAILURE_WINDOW_MS)
    .first();
  return parseRow(z.object({ n: z.number() }), row, 'login_attempts').n;
}

/** Records a failure and drops records too old to matter to anyone. */
export async function recordFailure(db: D1Database, email: string, ip: string, now: number): Promise<void> {
  await db.batch([
    db.prepare('INSERT INTO login_attempts (email, ip, attempted_at) VALUES (?1, ?2, ?3)').bind(email, ip, now),
    db.prepare('DELETE FROM login_attempts WHERE attempted_at <= ?1').bind(now - LOGIN_FAILURE_WINDOW_MS),
  ]);
}

/** A successful login forgets this client's failures for the email. */
export async function clearFailures(db: D1Database, email: string, ip: string): Promise<void> {
  await db.prepare('DELETE FROM login_attempts WHERE email = ?1 AND ip = ?2').bind(email, ip).run();
}
