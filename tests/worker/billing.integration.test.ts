import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ApiClient, appFetch, BASE_URL, expectError, signUp, workerFetch } from './helpers';

// Checkout and portal sessions are created on the local Stripe stand-in (tests/support/stripe-server.ts, started by
// global-setup.ts). What a person does on its pages is a form POST; the events it signs wait in its outbox (the
// Worker here has no HTTP address) and each test delivers them to the Worker's webhook as Stripe would.
const stripeBase = env.STRIPE_API_BASE;

interface Delivery {
  type: string;
  body: string;
  signature: string;
}

let delivered = 0;
/** Delivers the stand-in's not yet delivered events about `userId`, in order; returns the webhook outcomes. */
async function deliverNew(userId: string, seen: Set<string>): Promise<{ type: string; outcome: string }[]> {
  const all = await (await fetch(`${stripeBase}/_outbox/${encodeURIComponent(userId)}`)).json<Delivery[]>();
  const out: { type: string; outcome: string }[] = [];
  for (const d of all.filter((x) => !seen.has(x.body))) {
    seen.add(d.body);
    out.push({ type: d.type, outcome: await deliver(d) });
  }
  return out;
}

async function deliver(d: Delivery): Promise<string> {
  delivered += 1;
  const res = await workerFetch(
    new Request(`${BASE_URL}/api/webhooks/billing`, { method: 'POST', headers: { 'Stripe-Signature': d.signature, 'Content-Type': 'application/json', 'CF-Connecting-IP': `10.9.9.${delivered % 250}` }, body: d.body }),
  );
  expect(res.status).toBe(200);
  return (await res.json<{ outcome: string }>()).outcome;
}

async function usage(client: ApiClient) {
  return (await client.json<{ tier: string; messages: { limit: number | null } }>('GET', '/api/usage')).body;
}

/** What a person's click on a stand-in page does: a form POST, answered by a redirect back to the app. */
async function click(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', redirect: 'manual' });
  expect(res.status).toBe(303);
  return res.headers.get('location') ?? '';
}

describe('billing: checkout, webhook, portal', () => {
  it('checkout creates a subscription session naming the user; paying upgrades; the portal cancels back to free', async () => {
    const { client, user } = await signUp();
    const checkout = await client.json<{ url: string }>('POST', '/api/billing/checkout');
    expect(checkout.status).toBe(200);
    expect(checkout.body.url).toMatch(new RegExp(`^${stripeBase}/pay/cs_test_\\w+$`));
    const sessionId = checkout.body.url.split('/').at(-1) ?? '';
    const session = await (await fetch(`${stripeBase}/v1/checkout/sessions/${sessionId}`, { headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY ?? ''}` } })).json();
    expect(session).toMatchObject({
      mode: 'subscription',
      client_reference_id: user.id,
      metadata: { userId: user.id },
      customer_email: user.email,
      success_url: `${env.APP_ORIGIN}/#/ask?billing=success`,
      cancel_url: `${env.APP_ORIGIN}/#/ask?billing=cancelled`,
    });
    // No customer yet: nothing to manage.
    await expectError(await client.call('POST', '/api/billing/portal'), 409, 'BILLING_NOT_SUBSCRIBED');

    expect(await click(`${checkout.body.url}/card`)).toBe(`${env.APP_ORIGIN}/#/ask?billing=success`);
    const seen = new Set<string>();
    expect(await deliverNew(user.id, seen)).toEqual([
      { type: 'checkout.session.completed', outcome: 'applied' },
      { type: 'customer.subscription.created', outcome: 'applied' },
    ]);
    expect(await usage(client)).toMatchObject({ tier: 'premium', messages: { limit: null } });
    await expectError(await client.call('POST', '/api/billing/checkout'), 409, 'BILLING_ALREADY_PREMIUM');

    const portal = await client.json<{ url: string }>('POST', '/api/billing/portal');
    expect(portal.status).toBe(200);
    expect(portal.body.url).toMatch(new RegExp(`^${stripeBase}/portal/bps_test_\\w+$`));
    expect(await click(`${portal.body.url}/cancel`)).toBe(`${env.APP_ORIGIN}/#/ask`);
    const cancelled = await deliverNew(user.id, seen);
    // Cancelling keeps premium until the period ends (updated, still active); the end of the period downgrades.
    expect(cancelled.map((e) => e.type)).toEqual(['customer.subscription.updated', 'customer.subscription.deleted']);
    expect(cancelled[1]?.outcome).toBe('applied');
    expect(await usage(client)).toMatchObject({ tier: 'free', messages: { limit: 20 } });

    // Every event replayed: acknowledged, nothing changes twice.
    const all = await (await fetch(`${stripeBase}/_outbox/${encodeURIComponent(user.id)}`)).json<Delivery[]>();
    for (const d of all) expect(await deliver(d)).toBe('duplicate');
    expect((await usage(client)).tier).toBe('free');

    // Subscribing again reuses the Stripe customer.
    const again = await client.json<{ url: string }>('POST', '/api/billing/checkout');
    const second = await (await fetch(`${stripeBase}/v1/checkout/sessions/${again.body.url.split('/').at(-1) ?? ''}`, { headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY ?? ''}` } })).json<{ customer: string | null }>();
    const first = await (await fetch(`${stripeBase}/v1/checkout/sessions/${sessionId}`, { headers: { Authorization: `Bearer ${env.STRIPE_SECRET_KEY ?? ''}` } })).json<{ customer: string | null }>();
    expect(second.customer).toMatch(/^cus_test_/);
    expect(second.customer).toBe(first.customer);
  });

  it('a delayed payment upgrades only when it settles (checkout.session.async_payment_succeeded)', async () => {
    const { client, user } = await signUp();
    const checkout = await client.json<{ url: string }>('POST', '/api/billing/checkout');
    await click(`${checkout.body.url}/bank`);
    const all = await (await fetch(`${stripeBase}/_outbox/${encodeURIComponent(user.id)}`)).json<Delivery[]>();
    const [completed, settled] = all;
    expect(completed?.type).toBe('checkout.session.completed');
    expect(await deliver(completed ?? all[0]!)).toBe('ignored');
    expect((await usage(client)).tier).toBe('free');
    expect(settled?.type).toBe('checkout.session.async_payment_succeeded');
    expect(await deliver(settled ?? all[0]!)).toBe('applied');
    expect((await usage(client)).tier).toBe('premium');
  });

  it('out-of-order delivery: a cancellation that arrives before the upgrade leaves the user free', async () => {
    const { client, user } = await signUp();
    const checkout = await client.json<{ url: string }>('POST', '/api/billing/checkout');
    await click(`${checkout.body.url}/card`);
    const seen = new Set<string>();
    await deliverNew(user.id, seen);
    const portal = await client.json<{ url: string }>('POST', '/api/billing/portal');
    await click(`${portal.body.url}/cancel`);
    const all = await (await fetch(`${stripeBase}/_outbox/${encodeURIComponent(user.id)}`)).json<Delivery[]>();
    const updated = all.find((d) => d.type === 'customer.subscription.updated');
    const deleted = all.find((d) => d.type === 'customer.subscription.deleted');
    expect(await deliver(deleted!)).toBe('applied');
    // The earlier "still active until the period ends" arrives late: it must not upgrade again.
    expect(await deliver(updated!)).toBe('stale_or_unknown_user');
    expect((await usage(client)).tier).toBe('free');
  });

  it('needs a session; answers BILLING_UNAVAILABLE when Stripe refuses the key or cannot be reached', async () => {
    await expectError(await new ApiClient().call('POST', '/api/billing/checkout'), 401, 'UNAUTHENTICATED');
    const wrongKey = await signUp({ fetch: appFetch({}, { STRIPE_SECRET_KEY: 'sk_test_wrong' }) });
    await expectError(await wrongKey.client.call('POST', '/api/billing/checkout'), 502, 'BILLING_UNAVAILABLE');
    const down = await signUp({ fetch: appFetch({}, { STRIPE_API_BASE: 'http://127.0.0.1:9' }) });
    await expectError(await down.client.call('POST', '/api/billing/checkout'), 502, 'BILLING_UNAVAILABLE');
    const none = await signUp({ fetch: appFetch({}, { STRIPE_SECRET_KEY: undefined }) });
    await expectError(await none.client.call('POST', '/api/billing/checkout'), 502, 'BILLING_UNAVAILABLE');
  });
});
