// Deleting an account removes its sync rows too (blobs, pending blobs, commits, live segments, upload records),
// not only the account tables, and leaves another user's sync rows alone.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { expectError, signUp } from './helpers';
import { commitBody, commitOk, uploadSegment } from './sync-helpers';

const SYNC_TABLES = ['blobs', 'vault_commits', 'vault_segments', 'uploads'] as const;

async function syncRows(userId: string): Promise<Record<string, number>> {
  const results = await env.DB.batch(SYNC_TABLES.map((table) => env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE user_id = ?`).bind(userId)));
  return Object.fromEntries(SYNC_TABLES.map((table, i) => [table, (results[i]?.results[0] as { n: number } | undefined)?.n ?? -1]));
}

async function fillVault(client: Awaited<ReturnType<typeof signUp>>['client'], label: string): Promise<void> {
  const hash = await uploadSegment(client, `segment of ${label}`);
  await commitOk(client, commitBody(0, [hash]));
  // A presigned upload that never finished leaves a pending (unverified) blob row.
  expect((await client.call('POST', `/api/sync/blobs/${'c'.repeat(64)}/upload-url`, { json: { size: 10 } })).status).toBe(200);
  expect((await client.call('POST', '/api/uploads', { json: { deviceId: 'device-a', provider: 'chatgpt', fileName: 'export.zip', bytes: 10 } })).status).toBe(201);
}

describe('delete account', () => {
  it('removes blobs, pending blobs, commits, live segments and upload records of that user only', async () => {
    const doomed = await signUp();
    const bystander = await signUp();
    await fillVault(doomed.client, 'the doomed user');
    await fillVault(bystander.client, 'the bystander');
    const full = { blobs: 2, vault_commits: 1, vault_segments: 1, uploads: 1 };
    expect(await syncRows(doomed.user.id)).toEqual(full);

    expect((await doomed.client.call('DELETE', '/api/account', { json: { secret: doomed.secret } })).status).toBe(200);

    expect(await syncRows(doomed.user.id)).toEqual({ blobs: 0, vault_commits: 0, vault_segments: 0, uploads: 0 });
    expect(await syncRows(bystander.user.id)).toEqual(full);
    await expectError(await doomed.client.call('GET', '/api/sync/manifest'), 401, 'UNAUTHENTICATED');
  });
});
