// Login secrets and the per-account limit on password checks (issue 9, item 5). The client derives its login secret
// with Argon2id (shared/auth/login-secret.ts, run in node by tests/support/login-secret-server.ts because workerd
// cannot compile WASM from bytes); the server sees only that secret, keeps PBKDF2 over it, and throttles checks per
// account across IPs with a backoff that known devices skip.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { LOGIN_KDF_DEFAULT_COST } from '../../shared/auth/login-secret';
import { toBase64Url } from '../../worker/src/auth/crypto';
import { ACCOUNT_BACKOFF_BASE_MS, ACCOUNT_BACKOFF_CAP_MS, ACCOUNT_FREE_FAILURES } from '../../worker/src/repos/login-attempts';
import { ApiClient, appFetch, deriveSecret, expectError, loginParams, logIn, PASSWORD, randomSecret, signUp, signupBody, uniqueEmail, uniqueIp } from './helpers';

async function pbkdf2(secret: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), 'PBKDF2', false, ['deriveBits']);
  return toBase64Url(new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256)));
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

describe('login parameters', () => {
  it('an address without an account gets stable parameters shaped like a real account, which signup then keeps', async () => {
    const client = new ApiClient();
    const email = uniqueEmail();
    const before = await loginParams(client, email);
    expect(await loginParams(client, email)).toEqual(before);
    expect(await loginParams(client, email.toUpperCase())).toEqual(before);
    const other = await loginParams(client, uniqueEmail());
    expect(other.kdf.salt).not.toBe(before.kdf.salt);
    expect(Object.keys(other.kdf).sort()).toEqual(Object.keys(before.kdf).sort());

    await signUp({ email });
    // Asking again after signup shows the same salt and cost: the answer did not depend on the account existing.
    expect((await loginParams(client, email)).kdf).toEqual(before.kdf);
  });

  it('issues 64 MiB, 3 passes unless configured otherwise', async () => {
    const client = new ApiClient(appFetch({}, { LOGIN_KDF_MEMORY_KIB: '', LOGIN_KDF_ITERATIONS: '' }));
    const { kdf } = await loginParams(client, uniqueEmail());
    expect(kdf).toMatchObject({ algorithm: 'argon2id', version: 1, ...LOGIN_KDF_DEFAULT_COST });
  });

  it('refuses a signup whose secret was derived with other parameters than the issued ones', async () => {
    const client = new ApiClient();
    const email = uniqueEmail();
    const body = await signupBody(client, email, 'token');
    const weaker = { ...body.kdf, iterations: body.kdf.iterations + 1 };
    const otherSalt = (await loginParams(client, uniqueEmail())).kdf;
    for (const kdf of [weaker, otherSalt]) {
      await expectError(await client.call('POST', '/api/auth/signup', { json: { ...body, kdf, secret: await deriveSecret(PASSWORD, kdf) } }), 400, 'VALIDATION_FAILED');
    }
    expect(await env.DB.prepare('SELECT count(*) AS n FROM users WHERE email = ?').bind(email).first('n')).toBe(0);
  });
});

describe('the server never sees the password', () => {
  it('stores PBKDF2 over the derived secret, and a login that sends the password as the secret is refused', async () => {
    const { email, user, secret } = await signUp();
    expect(secret).not.toBe(PASSWORD);
    const row = await env.DB.prepare('SELECT password_hash, password_salt, password_iterations, login_kdf FROM users WHERE id = ?')
      .bind(user.id)
      .first<{ password_hash: string; password_salt: string; password_iterations: number; login_kdf: string }>();
    expect(row).not.toBeNull();
    if (row === null) return;
    expect(await pbkdf2(secret, fromBase64Url(row.password_salt), row.password_iterations)).toBe(row.password_hash);
    expect(JSON.parse(row.login_kdf)).toEqual((await loginParams(new ApiClient(), email)).kdf);
    await expectError(await new ApiClient().call('POST', '/api/auth/login', { json: { email, secret: PASSWORD, session: 'token' } }), 400, 'VALIDATION_FAILED');
    await expectError(await new ApiClient().call('POST', '/api/auth/login', { json: { email, password: PASSWORD, session: 'token' } }), 400, 'VALIDATION_FAILED');
  });
});

describe('accounts from before login secrets', () => {
  /** Turns a fresh account into one made before this scheme: PBKDF2 over the password itself, no parameters. */
  async function makeLegacy(userId: string): Promise<void> {
    const salt = crypto.getRandomValues(new Uint8Array(16));
    await env.DB.prepare('UPDATE users SET password_hash = ?2, password_salt = ?3, password_iterations = 100000, login_kdf = NULL WHERE id = ?1')
      .bind(userId, await pbkdf2(PASSWORD, salt, 100_000), toBase64Url(salt))
      .run();
  }

  it('are migrated at their next login: the password is checked once, then only the derived secret works', async () => {
    const { email, user } = await signUp();
    await makeLegacy(user.id);
    const client = new ApiClient();
    expect((await loginParams(client, email)).legacyPassword).toBe(true);
    const { kdf } = await loginParams(client, email);
    const secret = await deriveSecret(PASSWORD, kdf);

    // The secret alone cannot open an account whose hash is over the password; a wrong password does not migrate it.
    await expectError(await client.call('POST', '/api/auth/login', { json: { email, secret, session: 'token' } }), 401, 'INVALID_CREDENTIALS');
    await expectError(await client.call('POST', '/api/auth/login', { json: { email, secret, password: 'not the password', session: 'token' } }), 401, 'INVALID_CREDENTIALS');
    expect((await loginParams(client, email)).legacyPassword).toBe(true);

    expect((await logIn(client, email, PASSWORD)).status).toBe(200);
    expect(await loginParams(client, email)).toEqual({ kdf, legacyPassword: false });
    expect((await client.call('POST', '/api/auth/login', { json: { email, secret, session: 'token' } })).status).toBe(200);
    // From now on the password itself is worthless to the server.
    await expectError(await client.call('POST', '/api/auth/login', { json: { email, secret: randomSecret(), password: PASSWORD, session: 'token' } }), 401, 'INVALID_CREDENTIALS');
  });

  it('an address without an account gives a stable legacy flag too, so the flag does not reveal old accounts', async () => {
    const flags = await Promise.all(Array.from({ length: 16 }, () => uniqueEmail()).map(async (email) => (await loginParams(new ApiClient(), email)).legacyPassword));
    expect(new Set(flags).size).toBe(2);
  });
});

describe('per-account limit on password checks across IPs', () => {
  const at = (now: number, ip = uniqueIp()) => new ApiClient(appFetch({ now: () => now }), ip);
  const guess = (client: ApiClient, email: string) => client.call('POST', '/api/auth/login', { json: { email, secret: randomSecret(), session: 'token' } });

  it('after 10 failures from many IPs, unknown devices back off (30 s, then doubling), while a known device signs in at once', async () => {
    const start = Date.now();
    const owner = await signUp({ fetch: appFetch({ now: () => start - 1000 }) });
    expect(owner.deviceToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // One guess from each of 10 IPs: the per-(email, IP) limit never triggers, the per-account one does.
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) await expectError(await guess(at(start + i), owner.email), 401, 'INVALID_CREDENTIALS');
    const last = start + ACCOUNT_FREE_FAILURES - 1;
    await expectError(await guess(at(last + 1), owner.email), 429, 'TOO_MANY_ATTEMPTS');
    // Even the right password from a new device waits.
    await expectError(await logIn(at(last + 1), owner.email, PASSWORD), 429, 'TOO_MANY_ATTEMPTS');
    // The owner's known device is not slowed down.
    expect((await logIn(at(last + 2), owner.email, PASSWORD, { deviceToken: owner.deviceToken })).status).toBe(200);

    // 30 s after the last failure one more check is allowed; after that failure the wait doubles to 60 s.
    await expectError(await guess(at(last + 30_000), owner.email), 401, 'INVALID_CREDENTIALS');
    await expectError(await guess(at(last + 30_000 + 59_000), owner.email), 429, 'TOO_MANY_ATTEMPTS');
    expect((await logIn(at(last + 30_000 + 60_000), owner.email, PASSWORD)).status).toBe(200);
  });

  it('never locks a new device out for more than an hour, however long the guessing goes on', async () => {
    let now = Date.now();
    const owner = await signUp({ fetch: appFetch({ now: () => now - 1000 }) });
    // Guess at the earliest moment allowed each time: 10 free, then waits of 30 s doubling per failure, capped.
    for (let failures = 0; failures < ACCOUNT_FREE_FAILURES + 20; failures++) {
      const wait = failures < ACCOUNT_FREE_FAILURES ? 1 : Math.min(ACCOUNT_BACKOFF_CAP_MS, ACCOUNT_BACKOFF_BASE_MS * 2 ** (failures - ACCOUNT_FREE_FAILURES));
      if (wait > 1) await expectError(await guess(at(now + wait - 1000), owner.email), 429, 'TOO_MANY_ATTEMPTS');
      now += wait;
      await expectError(await guess(at(now), owner.email), 401, 'INVALID_CREDENTIALS');
    }
    // Twenty failures past the free ones: still at most an hour until a new device may try the right password.
    await expectError(await logIn(at(now + ACCOUNT_BACKOFF_CAP_MS - 1000), owner.email, PASSWORD), 429, 'TOO_MANY_ATTEMPTS');
    expect((await logIn(at(now + ACCOUNT_BACKOFF_CAP_MS), owner.email, PASSWORD)).status).toBe(200);
  });

  it('an address without an account is throttled exactly like one with an account', async () => {
    const start = Date.now();
    const nobody = uniqueEmail('nobody');
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) await expectError(await guess(at(start + i), nobody), 401, 'INVALID_CREDENTIALS');
    await expectError(await guess(at(start + ACCOUNT_FREE_FAILURES), nobody), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('a cookie sign-in leaves an HttpOnly known-device cookie that lets that browser past the backoff', async () => {
    const start = Date.now();
    const email = uniqueEmail();
    const browser = at(start - 1000);
    const signup = await browser.call('POST', '/api/auth/signup', { json: await signupBody(browser, email, 'cookie') });
    expect(signup.status).toBe(201);
    const deviceCookie = /__Host-cogzy_device=[A-Za-z0-9_-]{43};[^,]*/.exec(signup.headers.get('Set-Cookie') ?? '')?.[0];
    expect(deviceCookie).toMatch(/HttpOnly/);
    expect(deviceCookie).toMatch(/SameSite=Strict/);
    expect(deviceCookie).toMatch(/Max-Age=31536000/);
    expect(await signup.json()).not.toHaveProperty('deviceToken');

    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) await expectError(await guess(at(start + i), email), 401, 'INVALID_CREDENTIALS');
    await expectError(await logIn(at(start + 20), email, PASSWORD, { session: 'cookie' }), 429, 'TOO_MANY_ATTEMPTS');
    const returning = at(start + 20);
    const res = await logIn(returning, email, PASSWORD, { session: 'cookie', cookie: (deviceCookie ?? '').split(';')[0] });
    expect(res.status).toBe(200);
  });
});
