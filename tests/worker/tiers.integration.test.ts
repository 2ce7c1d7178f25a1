import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { signPayload } from '../../worker/src/billing/stripe-signature';
import { ApiClient, appFetch, BASE_URL, expectError, signUp, workerFetch } from './helpers';

interface Usage {
  tier: 'free' | 'premium';
  messages: { used: number; limit: number | null; remaining: number | null; resetsAt: string };
  vault: { bytesUsed: number; bytesLimit: number };
}

const MB = 1024 * 1024;

describe('usage and metering', () => {
  it('reports the free tier: 20 messages a day, 100 MB vault, resets at the next UTC midnight', async () => {
    const now = Date.UTC(2026, 10, 21, 23, 30);
    const { client } = await signUp({ fetch: appFetch({ now: () => now }) });
    const usage = await client.json<Usage>('GET', '/api/usage');
    expect(usage).toEqual({
      status: 200,
      body: {
        tier: 'free',
        messages: { used: 0, limit: 20, remaining: 20, resetsAt: '2026-11-22T00:00:00.000Z' },
        vault: { bytesUsed: 0, bytesLimit: 100 * MB },
      },
    });
  });

  it('40 concurrent consume calls against a limit of 20: exactly 20 succeed, the rest get QUOTA_EXCEEDED', async () => {
    const { client } = await signUp();
    const responses = await Promise.all(Array.from({ length: 40 }, () => client.call('POST', '/api/usage/messages')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    const used = await Promise.all(responses.filter((r) => r.status === 200).map(async (r) => (await r.json<{ used: number }>()).used));
    expect(used.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expectError(responses.find((r) => r.status === 429) ?? new Response(), 429, 'QUOTA_EXCEEDED');
    expect((await client.json<Usage>('GET', '/api/usage')).body.messages).toMatchObject({ used: 20, remaining: 0 });
  });

  it('the allowance resets at UTC midnight', async () => {
    let now = Date.UTC(2026, 10, 21, 23, 59, 0);
    const { client } = await signUp({ fetch: appFetch({ now: () => now }) });
    for (let i = 0; i < 20; i++) expect((await client.call('POST', '/api/usage/messages')).status).toBe(200);
    await expectError(await client.call('POST', '/api/usage/messages'), 429, 'QUOTA_EXCEEDED');
    now = Date.UTC(2026, 10, 21, 23, 59, 59, 999);
    await expectError(await client.call('POST', '/api/usage/messages'), 429, 'QUOTA_EXCEEDED');
    now = Date.UTC(2026, 10, 22, 0, 0, 0);
    const next = await client.json<{ used: number; remaining: number; resetsAt: string }>('POST', '/api/usage/messages');
    expect(next).toEqual({ status: 200, body: { used: 1, limit: 20, remaining: 19, resetsAt: '2026-11-23T00:00:00.000Z' } });
  });

  it("one user's messages never count against another's", async () => {
    const alice = await signUp();
    const bob = await signUp();
    for (let i = 0; i < 3; i++) await alice.client.call('POST', '/api/usage/messages');
    expect((await bob.client.json<Usage>('GET', '/api/usage')).body.messages.used).toBe(0);
    expect((await alice.client.json<Usage>('GET', '/api/usage')).body.messages.used).toBe(3);
  });

  it('needs a session (none, expired or revoked)', async () => {
    await expectError(await new ApiClient().call('GET', '/api/usage'), 401, 'UNAUTHENTICATED');
    await expectError(await new ApiClient().call('POST', '/api/usage/messages'), 401, 'UNAUTHENTICATED');
    const { client } = await signUp();
    const later = new ApiClient(appFetch({ now: () => Date.now() + 31 * 24 * 3600 * 1000 }), client.ip);
    later.token = client.token;
    await expectError(await later.call('GET', '/api/usage'), 401, 'UNAUTHENTICATED');
    await client.call('POST', '/api/auth/logout');
    await expectError(await client.call('POST', '/api/usage/messages'), 401, 'UNAUTHENTICATED');
  });

  it('an account without a vault row gets one on first use', async () => {
    const { client, user } = await signUp();
    await env.DB.prepare('DELETE FROM vaults WHERE user_id = ?').bind(user.id).run();
    expect((await client.json<Usage>('GET', '/api/usage')).body.vault).toEqual({ bytesUsed: 0, bytesLimit: 100 * MB });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM vaults WHERE user_id = ?').bind(user.id).first('n')).toBe(1);
  });
});

async function sendWebhook(event: unknown, options: { secret?: string; at?: number; header?: string } = {}): Promise<Response> {
  const body = JSON.stringify(event);
  const at = options.at ?? Math.floor(Date.now() / 1000);
  const header = options.header ?? (await signPayload(options.secret ?? env.STRIPE_WEBHOOK_SECRET ?? '', body, at));
  return workerFetch(new Request(`${BASE_URL}/api/webhooks/billing`, { method: 'POST', headers: { 'Stripe-Signature': header, 'Content-Type': 'application/json' }, body }));
}

let eventCounter = 0;
function subscriptionEvent(type: string, userId: string, status = 'active', created = Math.floor(Date.now() / 1000)) {
  eventCounter += 1;
  return { id: `evt_test_${eventCounter}_${crypto.randomUUID()}`, type, created, data: { object: { id: 'sub_1', status, metadata: { userId } } } };
}

async function tierOf(client: ApiClient): Promise<string> {
  return (await client.json<Usage>('GET', '/api/usage')).body.tier;
}

describe('billing webhook', () => {
  it('a correctly signed subscription event upgrades to premium (unlimited messages, 10 GB); deletion downgrades', async () => {
    const { client, user } = await signUp();
    const res = await sendWebhook(subscriptionEvent('customer.subscription.created', user.id));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: true, outcome: 'applied' });
    const usage = await client.json<Usage>('GET', '/api/usage');
    expect(usage.body).toMatchObject({ tier: 'premium', messages: { limit: null, remaining: null }, vault: { bytesLimit: 10 * 1024 * MB } });
    for (let i = 0; i < 25; i++) expect((await client.call('POST', '/api/usage/messages')).status).toBe(200);

    expect((await sendWebhook(subscriptionEvent('customer.subscription.deleted', user.id, 'canceled'))).status).toBe(200);
    expect(await tierOf(client)).toBe('free');
    await expectError(await client.call('POST', '/api/usage/messages'), 429, 'QUOTA_EXCEEDED');
  });

  it('checkout.session.completed upgrades only when paid (or free of charge) and only the user its id names', async () => {
    const checkout = (object: Record<string, unknown>) => ({ id: `evt_checkout_${crypto.randomUUID()}`, type: 'checkout.session.completed', created: Math.floor(Date.now() / 1000), data: { object } });
    const { client, user, email } = await signUp();
    // Unpaid (e.g. a delayed payment method still pending): acknowledged, no upgrade.
    expect(await (await sendWebhook(checkout({ payment_status: 'unpaid', metadata: { userId: user.id } }))).json()).toMatchObject({ outcome: 'ignored' });
    expect(await tierOf(client)).toBe('free');
    // An address typed at checkout names no one: without a user id nobody's tier changes.
    expect(await (await sendWebhook(checkout({ payment_status: 'paid', customer_email: email }))).json()).toMatchObject({ outcome: 'ignored' });
    expect(await (await sendWebhook(checkout({ payment_status: 'paid', customer_details: { email } }))).json()).toMatchObject({ outcome: 'ignored' });
    expect(await tierOf(client)).toBe('free');
    expect(await (await sendWebhook(checkout({ payment_status: 'paid', metadata: { userId: user.id } }))).json()).toMatchObject({ outcome: 'applied' });
    expect(await tierOf(client)).toBe('premium');

    const viaReference = await signUp();
    const res = await sendWebhook(checkout({ payment_status: 'no_payment_required', client_reference_id: viaReference.user.id }));
    expect(await res.json()).toMatchObject({ outcome: 'applied' });
    expect(await tierOf(viaReference.client)).toBe('premium');
  });

  it('a subscription event without a user id is ignored even if its email matches an account', async () => {
    const { client, email } = await signUp();
    const event = { id: `evt_sub_${crypto.randomUUID()}`, type: 'customer.subscription.created', created: Math.floor(Date.now() / 1000), data: { object: { status: 'active', customer_email: email } } };
    expect(await (await sendWebhook(event)).json()).toMatchObject({ outcome: 'ignored' });
    expect(await tierOf(client)).toBe('free');
  });

  it('refuses a bad signature, a wrong secret, a missing header and a stale timestamp, changing nothing', async () => {
    const { client, user } = await signUp();
    const event = subscriptionEvent('customer.subscription.created', user.id);
    await expectError(await sendWebhook(event, { secret: 'whsec_not_the_secret' }), 400, 'WEBHOOK_SIGNATURE_INVALID');
    await expectError(await sendWebhook(event, { header: `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` }), 400, 'WEBHOOK_SIGNATURE_INVALID');
    await expectError(await sendWebhook(event, { header: 'garbage' }), 400, 'WEBHOOK_SIGNATURE_INVALID');
    await expectError(await sendWebhook(event, { at: Math.floor(Date.now() / 1000) - 6 * 60 }), 400, 'WEBHOOK_SIGNATURE_INVALID');
    // A body altered after signing does not verify either.
    const body = JSON.stringify(event);
    const header = await signPayload(env.STRIPE_WEBHOOK_SECRET ?? '', body, Math.floor(Date.now() / 1000));
    const tampered = body.replace('"active"', '"trialing"');
    const res = await workerFetch(new Request(`${BASE_URL}/api/webhooks/billing`, { method: 'POST', headers: { 'Stripe-Signature': header }, body: tampered }));
    await expectError(res, 400, 'WEBHOOK_SIGNATURE_INVALID');
    expect(await tierOf(client)).toBe('free');
  });

  it('a replayed event (same id) is acknowledged but not applied again', async () => {
    const { client, user } = await signUp();
    const upgrade = subscriptionEvent('customer.subscription.created', user.id);
    expect((await sendWebhook(upgrade)).status).toBe(200);
    expect((await sendWebhook(subscriptionEvent('customer.subscription.deleted', user.id, 'canceled'))).status).toBe(200);
    expect(await tierOf(client)).toBe('free');
    const replay = await sendWebhook(upgrade);
    expect(await replay.json()).toMatchObject({ received: true, outcome: 'duplicate' });
    expect(await tierOf(client)).toBe('free');
  });

  it('ignores an event created before the last tier change (out-of-order delivery)', async () => {
    const { client, user } = await signUp();
    const now = Math.floor(Date.now() / 1000);
    expect((await sendWebhook(subscriptionEvent('customer.subscription.deleted', user.id, 'canceled', now))).status).toBe(200);
    const late = await sendWebhook(subscriptionEvent('customer.subscription.created', user.id, 'active', now - 60));
    expect(await late.json()).toMatchObject({ outcome: 'stale_or_unknown_user' });
    expect(await tierOf(client)).toBe('free');
  });

  it('acknowledges events about unknown users or other types without changing anyone', async () => {
    const { client } = await signUp();
    expect(await (await sendWebhook(subscriptionEvent('customer.subscription.created', 'no-such-user'))).json()).toMatchObject({ outcome: 'unknown_user' });
    expect(await (await sendWebhook({ id: 'evt_other', type: 'invoice.paid', created: Math.floor(Date.now() / 1000), data: { object: {} } })).json()).toMatchObject({ outcome: 'ignored' });
    expect(await tierOf(client)).toBe('free');
  });

  it('refuses a signed body that is not an event (VALIDATION_FAILED)', async () => {
    await expectError(await sendWebhook({ hello: 'world' }), 400, 'VALIDATION_FAILED');
  });

  it('is disabled (NOT_FOUND) without STRIPE_WEBHOOK_SECRET', async () => {
    const fetchWithout = appFetch({}, { STRIPE_WEBHOOK_SECRET: undefined });
    const body = JSON.stringify(subscriptionEvent('customer.subscription.created', 'x'));
    const res = await fetchWithout(new Request(`${BASE_URL}/api/webhooks/billing`, { method: 'POST', headers: { 'Stripe-Signature': await signPayload('whsec_any', body, Math.floor(Date.now() / 1000)) }, body }));
    await expectError(res, 404, 'NOT_FOUND');
  });
});

describe('operator tier route', () => {
  const setTier = (userId: string, tier: unknown, token: string | undefined, fetch = workerFetch) =>
    fetch(
      new Request(`${BASE_URL}/api/admin/users/${encodeURIComponent(userId)}/tier`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) },
        body: JSON.stringify({ tier }),
      }),
    );

  it('sets a tier with the operator token', async () => {
    const { client, user } = await signUp();
    const res = await setTier(user.id, 'premium', env.ADMIN_TOKEN);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: { id: user.id, email: user.email, tier: 'premium' } });
    expect(await tierOf(client)).toBe('premium');
  });

  it('refuses a wrong or missing token, a user session, a bad tier and an unknown user', async () => {
    const { client, user } = await signUp();
    await expectError(await setTier(user.id, 'premium', `${env.ADMIN_TOKEN ?? ''}x`), 403, 'FORBIDDEN');
    await expectError(await setTier(user.id, 'premium', undefined), 401, 'UNAUTHENTICATED');
    await expectError(await setTier(user.id, 'premium', client.token), 403, 'FORBIDDEN');
    await expectError(await setTier(user.id, 'platinum', env.ADMIN_TOKEN), 400, 'VALIDATION_FAILED');
    await expectError(await setTier('no-such-user', 'premium', env.ADMIN_TOKEN), 404, 'NOT_FOUND');
    expect(await tierOf(client)).toBe('free');
  });

  it('does not exist without ADMIN_TOKEN', async () => {
    const { user } = await signUp();
    await expectError(await setTier(user.id, 'premium', '', appFetch({}, { ADMIN_TOKEN: undefined })), 404, 'NOT_FOUND');
  });
});

describe('health and the envelope', () => {
  it('GET /api/health touches D1 and reports the version', async () => {
    const res = await workerFetch(new Request(`${BASE_URL}/api/health`));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, d1: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown });
  });

  it('unknown paths answer NOT_FOUND in the envelope', async () => {
    await expectError(await workerFetch(new Request(`${BASE_URL}/api/nothing-here`)), 404, 'NOT_FOUND');
  });

  it('CORS admits only APP_ORIGIN', async () => {
    const preflight = (origin: string) =>
      workerFetch(new Request(`${BASE_URL}/api/usage/messages`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-cogzy-csrf' } }));
    expect((await preflight(env.APP_ORIGIN)).headers.get('Access-Control-Allow-Origin')).toBe(env.APP_ORIGIN);
    expect((await preflight('https://evil.example')).headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
