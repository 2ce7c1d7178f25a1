import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../worker/src/auth/crypto';
import { SESSION_MAX_LIFETIME_MS, SESSION_TTL_MS } from '../../worker/src/repos/sessions';
import { ApiClient, appFetch, expectError, logIn, passwordProof, PASSWORD, randomSecret, signUp, signupBody, uniqueEmail, workerFetch } from './helpers';

const DAY = 24 * 60 * 60 * 1000;

describe('signup', () => {
  it('creates the account, its vault and free tier in one go, and returns a bearer token', async () => {
    const { client, email, user } = await signUp();
    expect(user).toMatchObject({ email, tier: 'free' });
    const me = await client.json<{ user: { id: string; email: string; tier: string } }>('GET', '/api/auth/me');
    expect(me).toMatchObject({ status: 200, body: { user: { id: user.id, email, tier: 'free' } } });
    const rows = await env.DB.batch([
      env.DB.prepare('SELECT count(*) AS n FROM vaults WHERE user_id = ?').bind(user.id),
      env.DB.prepare('SELECT count(*) AS n FROM daily_usage WHERE user_id = ?').bind(user.id),
      env.DB.prepare('SELECT password_hash, password_salt, password_iterations FROM users WHERE id = ?').bind(user.id),
    ]);
    expect(rows[0]?.results[0]).toEqual({ n: 1 });
    expect(rows[1]?.results[0]).toEqual({ n: 1 });
    const stored = rows[2]?.results[0] as { password_hash: string; password_salt: string; password_iterations: number };
    expect(stored.password_iterations).toBe(100_000);
    expect(stored.password_hash).not.toContain(PASSWORD);
  });

  it('stores the email lower-cased and refuses the same address in other casing (EMAIL_TAKEN)', async () => {
    const email = uniqueEmail('Case');
    await signUp({ email });
    const client = new ApiClient();
    const res = await client.call('POST', '/api/auth/signup', { json: await signupBody(client, `  ${email.toUpperCase()} `, 'token') });
    await expectError(res, 409, 'EMAIL_TAKEN');
  });

  it('refuses a password sent instead of a derived login secret (VALIDATION_FAILED) and creates nothing', async () => {
    const email = uniqueEmail();
    const client = new ApiClient();
    const body = await signupBody(client, email, 'token');
    const res = await client.call('POST', '/api/auth/signup', { json: { ...body, secret: PASSWORD } });
    await expectError(res, 400, 'VALIDATION_FAILED');
    expect(await env.DB.prepare('SELECT count(*) AS n FROM users WHERE email = ?').bind(email).first('n')).toBe(0);
  });

  it('refuses a bad body with VALIDATION_FAILED and says which field', async () => {
    const client = new ApiClient();
    const res = await client.json<{ error: { code: string; detail?: string } }>('POST', '/api/auth/signup', { json: { email: 'not-an-email', password: PASSWORD } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.detail).toContain('email');
    await expectError(await client.call('POST', '/api/auth/signup', { body: '{"email":', headers: { 'Content-Type': 'application/json' } }), 400, 'BAD_REQUEST');
  });

  it('refuses bodies over the limit with PAYLOAD_TOO_LARGE', async () => {
    const res = await new ApiClient().call('POST', '/api/auth/signup', { json: { email: uniqueEmail(), password: 'x'.repeat(70_000) } });
    await expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('login, logout and sessions', () => {
  it('logs in with the right password, not with a wrong one or an unknown email', async () => {
    const { email } = await signUp();
    const client = new ApiClient();
    const okResponse = await logIn(client, email, PASSWORD);
    const ok = { status: okResponse.status, body: await okResponse.json<{ token: string; user: { email: string } }>() };
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(email);
    client.token = ok.body.token;
    expect((await client.call('GET', '/api/auth/me')).status).toBe(200);
    await expectError(await logIn(client, email, `${PASSWORD}!`), 401, 'INVALID_CREDENTIALS');
    await expectError(await logIn(client, uniqueEmail(), PASSWORD), 401, 'INVALID_CREDENTIALS');
  });

  it('stores only a hash of the session token', async () => {
    const { client, user } = await signUp();
    const stored = await env.DB.prepare('SELECT token_hash FROM sessions WHERE user_id = ?').bind(user.id).all<{ token_hash: string }>();
    expect(stored.results).toHaveLength(1);
    expect(stored.results[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.results[0]?.token_hash).not.toBe(client.token);
  });

  it('answers UNAUTHENTICATED with no session, a malformed header or an unknown token', async () => {
    const client = new ApiClient();
    await expectError(await client.call('GET', '/api/auth/me'), 401, 'UNAUTHENTICATED');
    await expectError(await client.call('GET', '/api/auth/me', { headers: { Authorization: 'Basic abc' } }), 401, 'UNAUTHENTICATED');
    client.token = 'A'.repeat(43);
    await expectError(await client.call('GET', '/api/auth/me'), 401, 'UNAUTHENTICATED');
  });

  it('logout revokes the session: the same token is refused afterwards', async () => {
    const { client } = await signUp();
    const out = await client.call('POST', '/api/auth/logout');
    expect(out.status).toBe(200);
    await expectError(await client.call('GET', '/api/auth/me'), 401, 'UNAUTHENTICATED');
    await expectError(await client.call('POST', '/api/auth/logout'), 401, 'UNAUTHENTICATED');
  });

  it('sessions expire 30 days after last use, and use slides the expiry forward', async () => {
    const start = Date.now();
    const { email } = await signUp();
    const login = async (now: number) => {
      const client = new ApiClient(appFetch({ now: () => now }));
      const res = { body: await (await logIn(client, email, PASSWORD)).json<{ token: string }>() };
      client.token = res.body.token;
      return client;
    };
    const idle = await login(start);
    const active = await login(start);
    const at = (client: ApiClient, now: number) => new ApiClient(appFetch({ now: () => now }), client.ip);
    const call = (client: ApiClient, now: number) => {
      const c = at(client, now);
      c.token = client.token;
      return c.call('GET', '/api/auth/me');
    };
    expect((await call(active, start + 20 * DAY)).status).toBe(200);
    await expectError(await call(idle, start + SESSION_TTL_MS + 1000), 401, 'UNAUTHENTICATED');
    expect((await call(active, start + 45 * DAY)).status).toBe(200);
    await expectError(await call(active, start + 45 * DAY + SESSION_TTL_MS + 1000), 401, 'UNAUTHENTICATED');
  });

  it('a session used every day still ends 90 days after sign-in, and /me says so', async () => {
    expect(SESSION_MAX_LIFETIME_MS).toBe(90 * DAY);
    const start = Date.now();
    const { client } = await signUp({ fetch: appFetch({ now: () => start }) });
    const me = (now: number) => {
      const c = new ApiClient(appFetch({ now: () => now }), client.ip);
      c.token = client.token;
      return c.call('GET', '/api/auth/me');
    };
    for (let day = 1; day < 90; day++) expect((await me(start + day * DAY)).status).toBe(200);
    // Daily use would slide the expiry to day 119; the cap holds it at day 90.
    const late = await me(start + 89 * DAY + 1000);
    expect((await late.json<{ sessionExpiresAt: string }>()).sessionExpiresAt).toBe(new Date(start + 90 * DAY).toISOString());
    await expectError(await me(start + 90 * DAY + 1000), 401, 'UNAUTHENTICATED');
  });

  it('a cookie renewed near the 90-day cap lives only until the cap', async () => {
    const start = Date.now();
    const { client } = await signUp({ session: 'cookie', fetch: appFetch({ now: () => start }) });
    const at = (day: number) => {
      const c = new ApiClient(appFetch({ now: () => start + day * DAY }), client.ip);
      c.cookie = client.cookie;
      return c.call('GET', '/api/auth/me');
    };
    for (const day of [25, 50, 75]) expect((await at(day)).status).toBe(200);
    const renewed = await at(80);
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get('Set-Cookie')).toMatch(new RegExp(`Max-Age=${(10 * DAY) / 1000};`));
  });
});

describe('stored credentials over time', () => {
  it('a password hashed with fewer iterations still logs in and is re-hashed at the current count', async () => {
    const { email, user, secret } = await signUp();
    const salt = crypto.getRandomValues(new Uint8Array(16));
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveBits']);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, key, 256));
    await env.DB.prepare('UPDATE users SET password_hash = ?2, password_salt = ?3, password_iterations = 1000 WHERE id = ?1')
      .bind(user.id, toBase64Url(bits), toBase64Url(salt))
      .run();
    expect((await logIn(new ApiClient(), email, PASSWORD)).status).toBe(200);
    expect(await env.DB.prepare('SELECT password_iterations FROM users WHERE id = ?').bind(user.id).first('password_iterations')).toBe(100_000);
    expect((await logIn(new ApiClient(), email, PASSWORD)).status).toBe(200);
  });

  it('expired sessions are dropped when the user next logs in', async () => {
    const start = Date.now();
    const { email, user } = await signUp({ fetch: appFetch({ now: () => start }) });
    const later = new ApiClient(appFetch({ now: () => start + SESSION_TTL_MS + 1000 }));
    expect((await logIn(later, email, PASSWORD)).status).toBe(200);
    const rows = await env.DB.prepare('SELECT created_at FROM sessions WHERE user_id = ?').bind(user.id).all<{ created_at: number }>();
    expect(rows.results.map((r) => r.created_at)).toEqual([start + SESSION_TTL_MS + 1000]);
  });
});

describe('cookie sessions and CSRF', () => {
  it('signup with session=cookie sets an HttpOnly, Secure, SameSite=Lax __Host- cookie and no token in the body', async () => {
    const client = new ApiClient();
    const res = await client.call('POST', '/api/auth/signup', { json: await signupBody(client, uniqueEmail()) });
    expect(res.status).toBe(201);
    const body: Record<string, unknown> = await res.json();
    expect(body.token).toBeUndefined();
    const cookie = res.headers.get('Set-Cookie') ?? '';
    expect(cookie).toMatch(/^__Host-cogzy_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect((await client.call('GET', '/api/auth/me')).status).toBe(200);
  });

  it('on plain-HTTP loopback (local dev) the cookie is cogzy_session without Secure', async () => {
    const res = await workerFetch(
      new Request('http://127.0.0.1:8787/api/auth/signup', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Cogzy-CSRF': '1', 'CF-Connecting-IP': '10.9.9.9' },
        body: JSON.stringify(await signupBody(new ApiClient(), uniqueEmail())),
      }),
    );
    expect(res.status).toBe(201);
    const cookie = res.headers.get('Set-Cookie') ?? '';
    expect(cookie).toMatch(/^cogzy_session=/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('refuses cookie-authenticated writes without the X-Cogzy-CSRF header or from a foreign origin', async () => {
    const { client } = await signUp({ session: 'cookie' });
    expect(client.cookie).toBeDefined();
    await expectError(await client.call('POST', '/api/usage/messages', { csrf: false }), 403, 'CSRF_REJECTED');
    await expectError(await client.call('POST', '/api/usage/messages', { headers: { Origin: 'https://evil.example' } }), 403, 'CSRF_REJECTED');
    await expectError(await client.call('POST', '/api/usage/messages', { headers: { 'Sec-Fetch-Site': 'cross-site' } }), 403, 'CSRF_REJECTED');
    // Nothing was metered by the refused requests.
    const usage = await client.json<{ messages: { used: number } }>('GET', '/api/usage', { csrf: false });
    expect(usage.body.messages.used).toBe(0);
    const ok = await client.call('POST', '/api/usage/messages', { headers: { Origin: env.APP_ORIGIN } });
    expect(ok.status).toBe(200);
  });

  it('does not need the CSRF header for reads or for bearer clients', async () => {
    const cookieUser = await signUp({ session: 'cookie' });
    expect((await cookieUser.client.call('GET', '/api/auth/me', { csrf: false })).status).toBe(200);
    const bearerUser = await signUp();
    expect((await bearerUser.client.call('POST', '/api/usage/messages', { csrf: false })).status).toBe(200);
  });

  it('a cookie login (login CSRF) also needs the proof header', async () => {
    const { email } = await signUp();
    const client = new ApiClient();
    await expectError(await client.call('POST', '/api/auth/login', { json: { email, ...(await passwordProof(client, email, PASSWORD)) }, csrf: false }), 403, 'CSRF_REJECTED');
  });

  it('using a cookie session after an hour renews the cookie lifetime along with the server-side expiry', async () => {
    const start = Date.now();
    const { client } = await signUp({ session: 'cookie', fetch: appFetch({ now: () => start }) });
    const soon = await client.call('GET', '/api/auth/me');
    expect(soon.headers.get('Set-Cookie')).toBeNull();
    const later = new ApiClient(appFetch({ now: () => start + 2 * 60 * 60 * 1000 }), client.ip);
    later.cookie = client.cookie;
    const renewed = await later.call('GET', '/api/auth/me');
    expect(renewed.status).toBe(200);
    expect(renewed.headers.get('Set-Cookie')).toMatch(/^__Host-cogzy_session=[A-Za-z0-9_-]{43};.*Max-Age=2592000/);
    expect(later.cookie).toBe(client.cookie);
  });

  it('logout clears the cookie and revokes its session', async () => {
    const { client } = await signUp({ session: 'cookie' });
    const stolen = client.cookie;
    const res = await client.call('POST', '/api/auth/logout');
    expect(res.status).toBe(200);
    expect(res.headers.get('Set-Cookie')).toMatch(/Max-Age=0/);
    const replay = new ApiClient();
    replay.cookie = stolen;
    await expectError(await replay.call('GET', '/api/auth/me'), 401, 'UNAUTHENTICATED');
  });
});

describe('throttling', () => {
  it('after 5 failed logins for an email from one IP, even the right password gets TOO_MANY_ATTEMPTS for 15 minutes', async () => {
    const start = Date.now();
    const { email } = await signUp();
    const at = (now: number, ip: string) => new ApiClient(appFetch({ now: () => now }), ip);
    const attacker = '10.66.0.1';
    for (let i = 0; i < 5; i++) {
      await expectError(await at(start, attacker).call('POST', '/api/auth/login', { json: { email, secret: randomSecret(), session: 'token' } }), 401, 'INVALID_CREDENTIALS');
    }
    await expectError(await logIn(at(start, attacker), email, PASSWORD), 429, 'TOO_MANY_ATTEMPTS');
    // The owner on another network is not locked out, and the attacker's IP is free again after the window.
    expect((await logIn(at(start, '10.77.0.1'), email, PASSWORD)).status).toBe(200);
    expect((await logIn(at(start + 16 * 60 * 1000, attacker), email, PASSWORD)).status).toBe(200);
  });

  it('limits anonymous auth requests per IP per minute (RATE_LIMITED with Retry-After)', async () => {
    const client = new ApiClient(appFetch({}, { AUTH_REQUESTS_PER_MINUTE: '3' }));
    const login = (c: ApiClient) => c.call('POST', '/api/auth/login', { json: { email: uniqueEmail(), secret: randomSecret(), session: 'token' } });
    for (let i = 0; i < 3; i++) await expectError(await login(client), 401, 'INVALID_CREDENTIALS');
    const limited = await login(client);
    expect(limited.headers.get('Retry-After')).toBe('60');
    await expectError(limited, 429, 'RATE_LIMITED');
    const otherIp = new ApiClient(appFetch({}, { AUTH_REQUESTS_PER_MINUTE: '3' }));
    await expectError(await login(otherIp), 401, 'INVALID_CREDENTIALS');
  });

  it('signed-in reads and logout do not spend the anonymous per-IP budget: a neighbour behind the same NAT can still log in', async () => {
    const fetch = appFetch({}, { AUTH_REQUESTS_PER_MINUTE: '3' });
    const busy = await signUp({ fetch });
    for (let i = 0; i < 10; i++) expect((await busy.client.call('GET', '/api/auth/me')).status).toBe(200);
    expect((await busy.client.call('POST', '/api/auth/logout')).status).toBe(200);
    // Same IP (one NAT), another person: the login budget (3 a minute) is untouched by the 11 calls above.
    const neighbour = new ApiClient(fetch, busy.client.ip);
    const res = await logIn(neighbour, busy.email, PASSWORD);
    expect(res.status).toBe(200);
  });
});
