// Route matching is the same with or without a trailing slash, on every resource (issue 9, item 8).
import { describe, expect, it } from 'vitest';
import { signUp } from './helpers';

describe('trailing slashes', () => {
  it('DELETE /api/account/ deletes the account like DELETE /api/account', async () => {
    const { client, secret } = await signUp();
    const res = await client.call('DELETE', '/api/account/', { json: { secret } });
    expect(res.status).toBe(200);
    expect((await client.call('GET', '/api/auth/me')).status).toBe(401);
  });

  it('every resource answers the same with and without a trailing slash', async () => {
    const { client } = await signUp();
    for (const path of ['/api/health', '/api/usage', '/api/auth/me', '/api/vault/status', '/api/uploads', '/api/sync/manifest']) {
      const plain = await client.call('GET', path);
      const slashed = await client.call('GET', `${path}/`);
      expect({ path, status: slashed.status }).toEqual({ path, status: plain.status });
      expect({ path, status: plain.status }).toEqual({ path, status: 200 });
    }
  });
});
