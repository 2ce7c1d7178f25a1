/**
 * POST /api/webhooks/billing: Stripe-style subscription events move a user between free and premium.
 * The user is found only by `data.object.metadata.userId` or `client_reference_id` (both set by us when checkout is
 * created). Never by the customer email: that is whatever someone typed at checkout, so matching it would let anyone
 * change the tier of whoever owns that address. Events without a user id are acknowledged as `ignored`.
 * `checkout.session.completed` upgrades only when `payment_status` is `paid` or `no_payment_required` (an unpaid
 * delayed payment must not grant premium; `checkout.session.async_payment_succeeded` upgrades when it settles).
 * Cancelling in the portal sends `customer.subscription.updated` with `cancel_at_period_end` while the status stays
 * active, so the user keeps premium until Stripe sends `customer.subscription.deleted` at the period's end.
 * A deleted subscription stays ended: a late event about it (same-second timestamps cannot order them) never
 * upgrades again. The event's `customer` is remembered for the user (billing_customers) so /api/billing/portal can open it.
 * Answers 2xx for every authentic event, including ones that change nothing, so the sender stops retrying.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { verifySignature } from '../billing/stripe-signature';
import type { AppEnv, Tier } from '../env';
import { describeIssues, JSON_BODY_LIMIT_BYTES, limitBody } from '../http/errors';
import { limitPerIp } from '../http/rate-limit';
import { rememberStripeCustomer } from '../repos/billing-customers';
import { findUserById } from '../repos/users';
import { applyTierEvent, recordEvent } from '../repos/webhook-events';

const eventSchema = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(255),
  created: z.number().int().nonnegative(),
  data: z.object({
    object: z.looseObject({
      status: z.string().optional(),
      payment_status: z.string().nullish(),
      metadata: z.looseObject({ userId: z.string().optional() }).nullish(),
      client_reference_id: z.string().nullish(),
      customer: z.string().max(255).nullish(),
      id: z.string().max(255).optional(),
      subscription: z.string().max(255).nullish(),
    }),
  }),
});
type BillingEvent = z.infer<typeof eventSchema>;

const PREMIUM_STATUSES = new Set(['active', 'trialing', 'past_due']);
const SETTLED_PAYMENT_STATUSES = new Set(['paid', 'no_payment_required']);

/** The tier an event asks for, or null for events that do not concern tiers. */
function tierFor(event: BillingEvent): Tier | null {
  switch (event.type) {
    case 'checkout.session.async_payment_succeeded':
      return 'premium';
    case 'checkout.session.completed':
      return SETTLED_PAYMENT_STATUSES.has(event.data.object.payment_status ?? '') ? 'premium' : null;
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

  const object = event.data.object;
  const userId = object.metadata?.userId ?? object.client_reference_id ?? null;
  if (userId !== null && object.customer) await rememberStripeCustomer(c.env.DB, userId, object.customer, now);
  const tier = userId === null ? null : tierFor(event);
  const user = tier === null || userId === null ? null : await findUserById(c.env.DB, userId);
  if (tier === null || user === null) {
    const fresh = await recordEvent(c.env.DB, event, now);
    return c.json({ received: true, outcome: fresh ? (tier === null ? 'ignored' : 'unknown_user') : 'duplicate' });
  }
  const isSubscription = event.type.startsWith('customer.subscription.');
  const subscriptionId = (isSubscription ? object.id : object.subscription) ?? null;
  const outcome = await applyTierEvent(
    c.env.DB,
    { id: event.id, type: event.type, createdMs: event.created * 1000, userId: user.id, tier, subscriptionId, endsSubscription: event.type === 'customer.subscription.deleted' },
    now,
  );
  return c.json({ received: true, outcome });
});
