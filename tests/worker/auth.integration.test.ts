import { describe, expect, it } from 'vitest';
import { ApiClient, expectError, PASSWORD, signUp, uniqueEmail } from './helpers';

describe('signup and sessions', () => {
  it('signs up with a bearer token and knows who I am', async () => {
    const { client, email } = await signUp();
    const me = await client.json<{ user: { email: string; tier: string } }>('GET', '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email, tier: 'free' });
  });

  it('refuses a short password with WEAK_PASSWORD', async () => {
    const client = new ApiClient();
    const res = await client.call('POST', '/api/auth/signup', { json: { email: uniqueEmail(), password: 'short', session: 'token' } });
    await expectError(res, 400, 'WEAK_PASSWORD');
  });

  it('refuses a taken email', async () => {
    const { email } = await signUp();
    const res = await new ApiClient().call('POST', '/api/auth/signup', { json: { email: email.toUpperCase(), password: PASSWORD, session: 'token' } });
    await expectError(res, 409, 'EMAIL_TAKEN');
  });
});
