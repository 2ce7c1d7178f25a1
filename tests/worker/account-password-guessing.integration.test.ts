// A stolen session cannot guess the account password without limit (change password, delete account).
import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURE_LIMIT } from '../../worker/src/repos/login-attempts';
import { expectError, PASSWORD, signUp } from './helpers';

describe('current-password checks on a signed-in session', () => {
  it('change password: a session cannot guess the current password without limit', async () => {
    const { client } = await signUp();
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) {
      await expectError(await client.call('POST', '/api/account/password', { json: { currentPassword: `guess ${i}`, newPassword: 'a brand new passphrase' } }), 401, 'INVALID_CREDENTIALS');
    }
    await expectError(await client.call('POST', '/api/account/password', { json: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } }), 429, 'TOO_MANY_ATTEMPTS');
  });

  it('delete account: a session cannot guess the password without limit, and the account stays', async () => {
    const { client } = await signUp();
    for (let i = 0; i < LOGIN_FAILURE_LIMIT; i++) {
      await expectError(await client.call('DELETE', '/api/account', { json: { password: `guess ${i}` } }), 401, 'INVALID_CREDENTIALS');
    }
    await expectError(await client.call('DELETE', '/api/account', { json: { password: PASSWORD } }), 429, 'TOO_MANY_ATTEMPTS');
    expect((await client.call('GET', '/api/auth/me')).status).toBe(200);
  });
});
