import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { blobKey } from '../../worker/src/blob/keys';
import { S3BlobStore } from '../../worker/src/blob/s3';
import { ApiClient, deriveSecret, expectError, loginParams, logIn, PASSWORD, randomSecret, signUp } from './helpers';
import { uploadSegment } from './sync-helpers';

const NEW_PASSWORD = 'a brand new passphrase';

async function login(email: string, password: string): Promise<Response> {
  return logIn(new ApiClient(), email, password);
}

/** The new secret, derived as the app does: with the account's parameters from login-params. */
async function newSecretFor(client: ApiClient, email: string, password: string): Promise<string> {
  return deriveSecret(password, (await loginParams(client, email)).kdf);
}

async function countRows(userId: string, email: string): Promise<Record<string, number>> {
  const queries: [string, string][] = [
    ['users', 'SELECT count(*) AS n FROM users WHERE id = ?'],
    ['sessions', 'SELECT count(*) AS n FROM sessions WHERE user_id = ?'],
    ['vaults', 'SELECT count(*) AS n FROM vaults WHERE user_id = ?'],
    ['daily_usage', 'SELECT count(*) AS n FROM daily_usage WHERE user_id = ?'],
    ['login_attempts', 'SELECT count(*) AS n FROM login_attempts WHERE email = ?'],
  ];
  const results = await env.DB.batch(queries.map(([table, sql]) => env.DB.prepare(sql).bind(table === 'login_attempts' ? email : userId)));
  return Object.fromEntries(queries.map(([table], i) => [table, (results[i]?.results[0] as { n: number } | undefined)?.n ?? -1]));
}

describe('change password', () => {
  it('needs the current password, then the new one works, the old one does not, and other sessions end', async () => {
    const { client, email, secret } = await signUp();
    const newSecret = await newSecretFor(client, email, NEW_PASSWORD);
    const otherDevice = new ApiClient();
    otherDevice.token = (await (await login(email, PASSWORD)).json<{ token: string }>()).token;
    expect((await otherDevice.call('GET', '/api/auth/me')).status).toBe(200);

    await expectError(await client.call('POST', '/api/account/password', { json: { current: { secret: randomSecret() }, newSecret } }), 401, 'INVALID_CREDENTIALS');
    // A password (not a derived secret) is refused: the server never takes one as the new credential.
    await expectError(await client.call('POST', '/api/account/password', { json: { current: { secret }, newSecret: NEW_PASSWORD } }), 400, 'VALIDATION_FAILED');
    await expectError(await client.call('POST', '/api/account/password', { json: { current: { secret } } }), 400, 'VALIDATION_FAILED');

    const changed = await client.json<{ revokedSessions: number }>('POST', '/api/account/password', { json: { current: { secret }, newSecret } });
    expect(changed).toMatchObject({ status: 200, body: { revokedSessions: 1 } });
    expect((await client.call('GET', '/api/auth/me')).status).toBe(200);
    await expectError(await otherDevice.call('GET', '/api/auth/me'), 401, 'UNAUTHENTICATED');
    await expectError(await login(email, PASSWORD), 401, 'INVALID_CREDENTIALS');
    expect((await login(email, NEW_PASSWORD)).status).toBe(200);
  });

  it('needs a session, and a cookie session needs the CSRF proof', async () => {
    await expectError(await new ApiClient().call('POST', '/api/account/password', { json: { current: { secret: randomSecret() }, newSecret: randomSecret() } }), 401, 'UNAUTHENTICATED');
    const { client, email, secret } = await signUp({ session: 'cookie' });
    await expectError(await client.call('POST', '/api/account/password', { json: { current: { secret }, newSecret: randomSecret() }, csrf: false }), 403, 'CSRF_REJECTED');
    expect((await login(email, PASSWORD)).status).toBe(200);
  });
});

describe('delete account', () => {
  it('removes the user, sessions, vault, usage and every blob, and leaves other users alone', async () => {
    const doomed = await signUp();
    const bystander = await signUp();
    const hash = await uploadSegment(doomed.client, 'ciphertext of a segment that must go with the account');
    const bystanderHash = await uploadSegment(bystander.client, 'a bystander segment that must stay');
    const store = S3BlobStore.fromEnv(env);
    expect(await store.head(blobKey(doomed.user.id, hash))).not.toBeNull();
    expect((await doomed.client.call('POST', '/api/usage/messages')).status).toBe(200);

    await expectError(await doomed.client.call('DELETE', '/api/account', { json: { secret: randomSecret() } }), 401, 'INVALID_CREDENTIALS');
    await expectError(await doomed.client.call('DELETE', '/api/account', { json: {} }), 400, 'VALIDATION_FAILED');
    expect((await countRows(doomed.user.id, doomed.email)).users).toBe(1);

    const res = await doomed.client.call('DELETE', '/api/account', { json: { secret: doomed.secret } });
    expect(res.status).toBe(200);
    expect(await countRows(doomed.user.id, doomed.email)).toEqual({ users: 0, sessions: 0, vaults: 0, daily_usage: 0, login_attempts: 0 });
    expect(await store.head(blobKey(doomed.user.id, hash))).toBeNull();
    await expectError(await doomed.client.call('GET', '/api/auth/me'), 401, 'UNAUTHENTICATED');
    await expectError(await login(doomed.email, PASSWORD), 401, 'INVALID_CREDENTIALS');

    expect((await bystander.client.call('GET', '/api/auth/me')).status).toBe(200);
    expect(await store.head(blobKey(bystander.user.id, bystanderHash))).not.toBeNull();
    // The address can be used again.
    expect((await signUp({ email: doomed.email })).user.email).toBe(doomed.email);
  });

  it('deletes only the signed-in user, whatever ids the body carries', async () => {
    const alice = await signUp();
    const bob = await signUp();
    const res = await alice.client.call('DELETE', '/api/account', { json: { secret: alice.secret, userId: bob.user.id, id: bob.user.id } });
    expect(res.status).toBe(200);
    expect((await countRows(alice.user.id, alice.email)).users).toBe(0);
    expect(await countRows(bob.user.id, bob.email)).toMatchObject({ users: 1, sessions: 1, vaults: 1 });
    expect((await bob.client.call('GET', '/api/auth/me')).status).toBe(200);
  });

  it('needs a session', async () => {
    await expectError(await new ApiClient().call('DELETE', '/api/account', { json: { secret: randomSecret() } }), 401, 'UNAUTHENTICATED');
  });
});
