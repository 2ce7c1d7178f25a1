/** Billing webhook events: each event id changes a tier at most once (replay protection). */
import type { Tier } from '../env';

export type TierEventOutcome = 'applied' | 'duplicate' | 'stale_or_unknown_user';

/**
 * Records the event and, in the same transaction, applies the tier change unless the event id was seen before, the
 * user's tier changed after the event was created (events can arrive out of order), or it would upgrade through a
 * subscription that has already ended. An event that `endsSubscription` marks its subscription as ended.
 */
export async function applyTierEvent(
  db: D1Database,
  event: { id: string; type: string; createdMs: number; userId: string; tier: Tier; subscriptionId: string | null; endsSubscription: boolean },
  now: number,
): Promise<TierEventOutcome> {
  const statements = [
    db
      .prepare(
        `UPDATE users SET tier = ?2, tier_updated_at = ?3
         WHERE id = ?1 AND tier_updated_at <= ?3 AND NOT EXISTS (SELECT 1 FROM webhook_events WHERE id = ?4)
           AND NOT (?2 = 'premium' AND EXISTS (SELECT 1 FROM ended_subscriptions WHERE subscription_id = ?5))`,
      )
      .bind(event.userId, event.tier, event.createdMs, event.id, event.subscriptionId),
    db.prepare('INSERT INTO webhook_events (id, type, received_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING').bind(event.id, event.type, now),
  ];
  if (event.endsSubscription && event.subscriptionId !== null) {
    statements.push(db.prepare('INSERT INTO ended_subscriptions (subscription_id, ended_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING').bind(event.subscriptionId, now));
  }
  const [update, insert] = await db.batch(statements);
  if ((insert?.meta.changes ?? 0) === 0) return 'duplicate';
  return (update?.meta.changes ?? 0) > 0 ? 'applied' : 'stale_or_unknown_user';
}

/** Records an event that changes nothing (unknown type or user), so a replay of it is recognised too. */
export async function recordEvent(db: D1Database, event: { id: string; type: string }, now: number): Promise<boolean> {
  const result = await db
    .prepare('INSERT INTO webhook_events (id, type, received_at) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING')
    .bind(event.id, event.type, now)
    .run();
  return result.meta.changes > 0;
}
