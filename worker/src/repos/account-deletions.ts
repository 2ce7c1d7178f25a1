/** Account deletion bookkeeping: the "deleting" mark on the user and the pending final sweep of its blob prefix. */
import { z } from 'zod';
import { parseRows } from './rows';

/**
 * Phase 1 of deletion: marks the user deleting (their sessions now refuse every other request) and records when the
 * final sweep of their prefix may run. Idempotent: a retried deletion keeps the first mark and the later sweep time.
 */
export async function markAccountDeleting(db: D1Database, userId: string, now: number, finalSweepAfter: number): Promise<void> {
  await db.batch([
    db.prepare('UPDATE users SET deleting_at = COALESCE(deleting_at, ?2) WHERE id = ?1').bind(userId, now),
    db
      .prepare(
        `INSERT INTO account_deletions (user_id, requested_at, final_sweep_after) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id) DO UPDATE SET final_sweep_after = MAX(final_sweep_after, excluded.final_sweep_after)`,
      )
      .bind(userId, now, finalSweepAfter),
  ]);
}

/** Deletions whose final sweep is due, oldest first, at most `limit` (one scheduled run does a bounded amount). */
export async function dueAccountDeletions(db: D1Database, now: number, limit: number): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT user_id FROM account_deletions WHERE final_sweep_after <= ?1 ORDER BY final_sweep_after LIMIT ?2')
    .bind(now, limit)
    .all();
  return parseRows(z.object({ user_id: z.string() }), results, 'account_deletions').map((row) => row.user_id);
}

export async function forgetAccountDeletion(db: D1Database, userId: string): Promise<void> {
  await db.prepare('DELETE FROM account_deletions WHERE user_id = ?1').bind(userId).run();
}
