/**
 * /api/billing: start a Premium subscription (Stripe Checkout) and manage it (Stripe's billing portal). Both answer
 * `{url}` for the PWA to open; the tier itself changes only through the signed webhook (routes/webhooks.ts).
 */
import { Hono } from 'hono';
import { AppError } from '../../../shared/errors';
import { requireUser } from '../auth/middleware';
import { createCheckoutSession, createPortalSession } from '../billing/stripe-api';
import type { AppEnv } from '../env';
import { JSON_BODY_LIMIT_BYTES, limitBody } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { findStripeCustomer } from '../repos/billing-customers';

export const billingRoutes = new Hono<AppEnv>()
  .use(limitBody(JSON_BODY_LIMIT_BYTES), requireUser, limitPerUser)
  .post('/checkout', async (c) => {
    const { user } = c.var;
    if (user.tier === 'premium') throw new AppError('BILLING_ALREADY_PREMIUM');
    const session = await createCheckoutSession(c.env, {
      userId: user.id,
      email: user.email,
      customerId: await findStripeCustomer(c.env.DB, user.id),
      successUrl: `${c.env.APP_ORIGIN}/#/ask?billing=success`,
      cancelUrl: `${c.env.APP_ORIGIN}/#/ask?billing=cancelled`,
    });
    return c.json({ url: session.url });
  })
  .post('/portal', async (c) => {
    const customerId = await findStripeCustomer(c.env.DB, c.var.user.id);
    if (customerId === null) throw new AppError('BILLING_NOT_SUBSCRIBED');
    const session = await createPortalSession(c.env, customerId, `${c.env.APP_ORIGIN}/#/ask`);
    return c.json({ url: session.url });
  });
