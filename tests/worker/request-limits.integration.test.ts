// Request limits on the API (Workers Rate Limiting bindings from wrangler.toml, counted in memory by workerd here).
// SPEC S16: 600 requests a minute per signed-in user, 300 a minute per client IP on the anonymous routes, 30 failed
// authentications a minute per client IP.
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../worker/src/auth/crypto';
import { ApiClient, expectError, signUp } from './helpers';

const PER_USER = 600;
const PER_IP = 300;
const FAILED_AUTH_PER_IP = 30;

/**
 * The binding counts in fixed one-minute windows; a run that straddles a window edge would see the count reset.
 * A few hundred in-process requests take about 2 s, so a window with less than 15 s left is waited out.
 */
async function startOfAWindow(): Promise<void> {
  const intoWindow = Date.now() % 60_000;
  if (intoWindow > 45_000) await scheduler.wait(60_000 - intoWindow + 100);
}

/** Sends `count` requests in parallel batches and returns their statuses in order. */
async function statuses(count: number, send: () => Promise<Response>): Promise<number[]> {
  const result: number[] = [];
  for (let sent = 0; sent < count; sent += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - sent) }, send));
    for (const response of batch) {
      result.push(response.status);
      await response.body?.cancel();
    }
  }
  return result;
}

describe('S16: request limits', () => {
  it('a user past 600 requests a minute gets 429 RATE_LIMITED with Retry-After on every API group; another user does not', async () => {
    const heavy = await signUp();
    const other = await signUp();
    await startOfAWindow();

    const spent = await statuses(PER_USER, () => heavy.client.call('GET', '/api/usage'));
    expect(spent.filter((s) => s === 200)).toHaveLength(PER_USER);

    const refused = await heavy.client.call('GET', '/api/usage');
    expect(refused.headers.get('Retry-After')).toBe('60');
    await expectError(refused, 429, 'RATE_LIMITED');
    // One budget across the groups: sync, vault, uploads and account refuse too.
    for (const [method, path] of [
      ['GET', '/api/sync/manifest?since=0'],
      ['GET', '/api/vault/status'],
      ['GET', '/api/uploads'],
      ['POST', '/api/account/password'],
    ] as const) {
      const response = await heavy.client.call(method, path, method === 'POST' ? { json: {} } : {});
      expect({ path, retryAfter: response.headers.get('Retry-After') }).toEqual({ path, retryAfter: '60' });
      await expectError(response, 429, 'RATE_LIMITED');
    }

    const unaffected = await other.client.json('GET', '/api/usage');
    expect(unaffected.status).toBe(200);
  });

  it('a client IP past 300 requests a minute on the anonymous routes gets 429; another IP does not', async () => {
    await startOfAWindow();
    const probe = new ApiClient();
    const spent = await statuses(PER_IP, () => probe.call('GET', '/api/health', { anonymous: true }));
    expect(spent.filter((s) => s === 200)).toHaveLength(PER_IP);

    const refused = await probe.call('GET', '/api/health', { anonymous: true });
    expect(refused.headers.get('Retry-After')).toBe('60');
    await expectError(refused, 429, 'RATE_LIMITED');
    // The webhook and operator routes share the IP's budget: refused before any signature or token is checked.
    await expectError(await probe.call('POST', '/api/webhooks/billing', { json: {}, anonymous: true }), 429, 'RATE_LIMITED');
    await expectError(await probe.call('POST', '/api/admin/users/someone/tier', { json: { tier: 'premium' }, anonymous: true }), 429, 'RATE_LIMITED');

    const elsewhere = await new ApiClient().call('GET', '/api/health', { anonymous: true });
    expect(elsewhere.status).toBe(200);
  });

  it('a client IP past 30 unknown session tokens a minute gets 429; its real sessions and other IPs are unaffected', async () => {
    const good = await signUp();
    await startOfAWindow();
    const guesser = new ApiClient();
    const randomToken = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const spent = await statuses(FAILED_AUTH_PER_IP, () => guesser.call('GET', '/api/usage', { headers: { Authorization: `Bearer ${randomToken()}` }, anonymous: true }));
    expect(spent.filter((s) => s === 401)).toHaveLength(FAILED_AUTH_PER_IP);

    const refused = await guesser.call('GET', '/api/usage', { headers: { Authorization: `Bearer ${randomToken()}` }, anonymous: true });
    expect(refused.headers.get('Retry-After')).toBe('60');
    await expectError(refused, 429, 'RATE_LIMITED');
    // A guessed cookie spends the same budget.
    await expectError(await guesser.call('GET', '/api/auth/me', { headers: { Cookie: `__Host-cogzy_session=${randomToken()}` }, anonymous: true }), 429, 'RATE_LIMITED');
    // Only failures are counted: a real session behind the same address (e.g. shared NAT) still works.
    const sameIp = new ApiClient(undefined, guesser.ip);
    sameIp.token = good.client.token;
    expect((await sameIp.call('GET', '/api/usage')).status).toBe(200);

    expect((await good.client.call('GET', '/api/usage')).status).toBe(200);
    const otherGuesser = new ApiClient();
    otherGuesser.token = randomToken();
    await expectError(await otherGuesser.call('GET', '/api/usage'), 401, 'UNAUTHENTICATED');
  });
});
