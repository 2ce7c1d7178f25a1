// A stolen session cannot guess the account password without limit (change password, delete account).
import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURE_LIMIT } from '../../worker/src/repos/login-attempts';
import { expectError, randomSecret, signUp } from './helpers';

describe('current-password checks on a signed-in session', () => {
  it('change password: a session cannot guess the current password without limit', async () => {
    const { client, secret } = await signUp();
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) {
      await expectError(await client.call('POST', '/api/account/password', { json: { current: { secret: randomSecret() }, newSecret: randomSecret() } }), 401, 'INVALID_CREDENTIALS');
    }
    await expectError(await client.call('POST', '/api/account/password', { json: { current: { secret }, newSecret: randomSecret() } }), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('delete account: a session cannot guess the password without limit, and the account stays', async () => {
    const { client, secret } = await signUp();
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) {
      await expectError(await client.call('DELETE', '/api/account', { json: { secret: randomSecret() } }), 401, 'INVALID_CREDENTIALS');
    }
    await expectError(await client.call('DELETE', '/api/account', { json: { secret } }), 429, 'TOO_MANY_ATTEMPTS');
    expect((await client.call('GET', '/api/auth/me')).status).toBe(200);
  });
});
