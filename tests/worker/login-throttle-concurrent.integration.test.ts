// Login throttling holds when the guesses arrive at once: the check and the count are one atomic step.
import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURE_LIMIT } from '../../worker/src/repos/login-attempts';
import { ApiClient, expectError, logIn, PASSWORD, randomSecret, signUp } from './helpers';

const GUESSES = 12;

describe('login throttling', () => {
  it('lets at most the limit of wrong passwords be checked when they arrive concurrently', async () => {
    const { email } = await signUp();
    const attacker = new ApiClient();
    const responses = await Promise.all(
      Array.from({ length: GUESSES }, () => attacker.call('POST', '/api/auth/login', { json: { email, secret: randomSecret(), session: 'token' } })),
    );
    const codes = await Promise.all(responses.map(async (r) => (await r.json<{ error: { code: string } }>()).error.code));
    expect(codes.filter((code) => code === 'INVALID_CREDENTIALS').length).toBeLessThanOrEqual(LOGIN_FAILURE_LIMIT);
    expect(codes.filter((code) => code === 'TOO_MANY_ATTEMPTS').length).toBeGreaterThanOrEqual(GUESSES - LOGIN_FAILURE_LIMIT);
    // The right password from the throttled client is refused too until the window passes.
    await expectError(await logIn(attacker, email, PASSWORD), 429, 'TOO_MANY_ATTEMPTS');
  });
});
