/**
 * The slice of Stripe's REST API the Worker uses (no SDK in Workers): form-encoded POSTs with the secret key,
 * answers parsed with zod. Any failure to get a usable answer is BILLING_UNAVAILABLE; Stripe's own error text is
 * kept out of the client's answer (it may name internal ids) and only its status is logged.
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { Env } from '../env';

const STRIPE_TIMEOUT_MS = 15_000;

const sessionSchema = z.looseObject({ id: z.string().min(1), url: z.url() });
export type StripeRedirect = z.infer<typeof sessionSchema>;

async function stripePost(env: Env, path: string, params: Record<string, string>): Promise<StripeRedirect> {
  const key = env.STRIPE_SECRET_KEY;
  if (key === undefined || key === '') throw new AppError('BILLING_UNAVAILABLE', { detail: 'STRIPE_SECRET_KEY is not set' });
  let response: Response;
  try {
    response = await fetch(`${env.STRIPE_API_BASE.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(STRIPE_TIMEOUT_MS),
    });
  } catch (error) {
    // Why it failed (timeout, DNS, refused) stays with the error for the logs; the person gets the sentence.
    throw new AppError('BILLING_UNAVAILABLE', { detail: `${path}: unreachable (${error instanceof Error ? error.name : 'unknown'})`, cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel();
    console.warn(`stripe ${path} answered ${response.status}`);
    throw new AppError('BILLING_UNAVAILABLE', { detail: `${path}: status ${response.status}` });
  }
  const parsed = sessionSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) throw new AppError('BILLING_UNAVAILABLE', { detail: `${path}: unexpected answer` });
  return parsed.data;
}

export interface CheckoutRequest {
  userId: string;
  email: string;
  /** An existing Stripe customer to reuse (a returning subscriber). */
  customerId: string | null;
  successUrl: string;
  cancelUrl: string;
}

/**
 * A subscription Checkout Session for STRIPE_PRICE_ID. The user id goes in client_reference_id and in the metadata
 * of both the session and the subscription, so every event about it (checkout.session.*, customer.subscription.*)
 * names the user without trusting the email typed at checkout.
 */
export async function createCheckoutSession(env: Env, request: CheckoutRequest): Promise<StripeRedirect> {
  const params: Record<string, string> = {
    mode: 'subscription',
    'line_items[0][price]': env.STRIPE_PRICE_ID,
    'line_items[0][quantity]': '1',
    success_url: request.successUrl,
    cancel_url: request.cancelUrl,
    client_reference_id: request.userId,
    'metadata[userId]': request.userId,
    'subscription_data[metadata][userId]': request.userId,
  };
  if (request.customerId !== null) params.customer = request.customerId;
  else params.customer_email = request.email;
  return stripePost(env, '/v1/checkout/sessions', params);
}

export async function createPortalSession(env: Env, customerId: string, returnUrl: string): Promise<StripeRedirect> {
  return stripePost(env, '/v1/billing_portal/sessions', { customer: customerId, return_url: returnUrl });
}
