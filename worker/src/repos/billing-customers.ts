/** The Stripe customer of a user, learnt from signed billing webhooks (migration 0005). */
import { z } from 'zod';
import { parseRow } from './rows';

const rowSchema = z.object({ stripe_customer_id: z.string() });

export async function findStripeCustomer(db: D1Database, userId: string): Promise<string | null> {
  const row = await db.prepare('SELECT stripe_customer_id FROM billing_customers WHERE user_id = ?').bind(userId).first();
  return row === null ? null : parseRow(rowSchema, row, 'billing_customers').stripe_customer_id;
}

/** Idempotent: a replayed event writes the same value again. Only for users that exist. */
export async function rememberStripeCustomer(db: D1Database, userId: string, customerId: string, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO billing_customers (user_id, stripe_customer_id, updated_at)
       SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1)
       ON CONFLICT (user_id) DO UPDATE SET stripe_customer_id = excluded.stripe_customer_id, updated_at = excluded.updated_at`,
    )
    .bind(userId, customerId, now)
    .run();
}
