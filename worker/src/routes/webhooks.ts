/**
 * POST /api/webhooks/billing: Stripe-style subscription events move a user between free and premium.
 * The user is found by `data.object.metadata.userId` (set when checkout is created) or else by the customer email.
 * Answers 2xx for every authentic event, including ones that change nothing, so the sender stops retrying.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { verifySignature } from '../billing/stripe-signature';
import type { AppEnv, Tier } from '../env';
import { describeIssues, JSON_BODY_LIMIT_BYTES, limitBody } from '../http/errors';
import { limitPerIp } from '../http/rate-limit';
import { findUserByEmail, findUserById } from '../repos/users';
import { applyTierEvent, recordEvent } from '../repos/webhook-events';

const eventSchema = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  created: z.number().int().nonnegative(),
  data: z.object({
    object: z.looseObject({
      status: z.string().optional(),
      metadata: z.looseObject({ userId: z.string().optional() }).nullish(),
      customer_email: z.string().nullish(),
      customer_details: z.looseObject({ email: z.string().nullish() }).nullish(),
    }),
  }),
});
type BillingEvent = z.infer<typeof eventSchema>;

const PREMIUM_STATUSES = new Set(['active', 'trialing', 'past_due']);

/** The tier an event asks for, or null for events that do not concern tiers. */
function tierFor(event: BillingEvent): Tier | null {
  switch (event.type) {
    case 'checkout.session.completed':
      return 'premium';
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
      return PREMIUM_STATUSES.has(event.data.object.status ?? '') ? 'premium' : 'free';
    case 'customer.subscription.deleted':
      return 'free';
    default:
      return null;
  }
}

export const webhookRoutes = new Hono<AppEnv>().post('/billing', limitPerIp, limitBody(JSON_BODY_LIMIT_BYTES), async (c) => {
  const secret = c.env.STRIPE_WEBHOOK_SECRET;
  if (secret === undefined || secret === '') throw new AppError('NOT_FOUND');
  const rawBody = await c.req.text();
  const now = c.var.deps.now();
  const check = await verifySignature(secret, c.req.header('Stripe-Signature'), rawBody, now);
  if (!check.ok) throw new AppError('WEBHOOK_SIGNATURE_INVALID', { detail: check.reason });

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError('BAD_REQUEST', { detail: 'body is not JSON' });
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', { detail: describeIssues(parsed.error) });
  const event = parsed.data;

  const tier = tierFor(event);
  const object = event.data.object;
  const email = object.customer_email ?? object.customer_details?.email ?? null;
  const metadataUserId = object.metadata?.userId;
  const user =
    tier === null
      ? null
      : metadataUserId !== undefined
        ? await findUserById(c.env.DB, metadataUserId)
        : email !== null
          ? await findUserByEmail(c.env.DB, email)
          : null;
  if (tier === null || user === null) {
    const fresh = await recordEvent(c.env.DB, event, now);
    return c.json({ received: true, outcome: fresh ? (tier === null ? 'ignored' : 'unknown_user') : 'duplicate' });
  }
  const outcome = await applyTierEvent(c.env.DB, { id: event.id, type: event.type, createdMs: event.created * 1000, userId: user.id, tier }, now);
  return c.json({ received: true, outcome });
});
