// GET /api/health is anonymous (uptime probes; throttled only per IP): its D1 check must cost the same however many
// accounts exist, or anyone hammering it makes D1 read the whole users table on every request.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { checkDatabase } from '../../worker/src/routes/health';
import { BASE_URL, signUp, workerFetch } from './helpers';

describe('health check cost', () => {
  it('reads at most one row, whatever the number of users', async () => {
    for (let i = 0; i < 5; i++) await signUp();
    const meta = await checkDatabase(env.DB);
    expect(meta.rows_read).toBeLessThanOrEqual(1);
    const res = await workerFetch(new Request(`${BASE_URL}/api/health`));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, d1: 'ok' });
  });
});
