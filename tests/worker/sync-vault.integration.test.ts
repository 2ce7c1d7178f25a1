// Vault status and the wrapped vault key in workerd against migrated D1 (SPEC S12, S14, S15).
import { describe, expect, it } from 'vitest';
import { vaultKeyConflictResponseSchema, vaultKeyResponseSchema, vaultStatusResponseSchema, type WrappedKey } from '../../shared/sync/protocol';
import { ApiClient, expectError, logIn, signUp } from './helpers';
import { commitBody, commitOk, uploadSegment } from './sync-helpers';

function base64(bytes: number, fill: number): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes).fill(fill)));
}

function wrappedKey(fill: number): WrappedKey {
  return {
    version: 1,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000 },
    salt: base64(16, fill),
    iv: base64(12, fill),
    ciphertext: base64(48, fill),
  };
}

describe('S12: the wrapped vault key', () => {
  it('is absent at first, created with revision 0, read back by another device of the same user', async () => {
    const { client, email, password } = await signUp();
    await expectError(await client.call('GET', '/api/vault/key'), 404, 'NOT_FOUND');
    const put = await client.json('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(1) } });
    expect(put.status).toBe(200);
    expect(vaultKeyResponseSchema.parse(put.body)).toMatchObject({ revision: 1, wrappedKey: wrappedKey(1) });

    const second = new ApiClient();
    const loggedIn = await logIn(second, email, password);
    const login = { status: loggedIn.status, body: await loggedIn.json<{ token: string }>() };
    expect(login.status).toBe(200);
    second.token = login.body.token;
    const got = await second.json('GET', '/api/vault/key');
    expect(vaultKeyResponseSchema.parse(got.body).wrappedKey).toEqual(wrappedKey(1));
  });

  it('two devices creating a key at once: one wins, the other gets 409 with the winning key', async () => {
    const { client } = await signUp();
    const [a, b] = await Promise.all([
      client.call('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(2) } }),
      client.call('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(3) } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    const winner = a.status === 200 ? a : b;
    const winning = vaultKeyResponseSchema.parse(await winner.json());
    const conflict = vaultKeyConflictResponseSchema.parse(await loser.json());
    expect(conflict.error.code).toBe('SYNC_CONFLICT');
    expect(conflict.current).toEqual(winning);
  });

  it('a passphrase change replaces the key at the current revision only', async () => {
    const { client } = await signUp();
    await client.json('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(4) } });
    const replaced = await client.json('PUT', '/api/vault/key', { json: { expectedRevision: 1, wrappedKey: wrappedKey(5) } });
    expect(vaultKeyResponseSchema.parse(replaced.body)).toMatchObject({ revision: 2, wrappedKey: wrappedKey(5) });
    await expectError(await client.call('PUT', '/api/vault/key', { json: { expectedRevision: 1, wrappedKey: wrappedKey(6) } }), 409, 'SYNC_CONFLICT');
  });

  it('only the ciphertext shape is accepted: no plaintext keys, wrong iv length or unknown kdf', async () => {
    const { client } = await signUp();
    const bad: unknown[] = [
      { ...wrappedKey(7), iv: base64(16, 7) },
      { ...wrappedKey(7), kdf: { name: 'none', hash: 'SHA-256', iterations: 1 } },
      { ...wrappedKey(7), kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: 1000 } },
      { ...wrappedKey(7), ciphertext: 'not base64 at all!' },
      { key: 'plaintext vault key' },
    ];
    for (const wrapped of bad) {
      await expectError(await client.call('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrapped } }), 400, 'VALIDATION_FAILED');
    }
  });

  it('S15: another user never sees or replaces my key; a session is required', async () => {
    const alice = await signUp();
    const bob = await signUp();
    await alice.client.json('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(8) } });
    await expectError(await bob.client.call('GET', '/api/vault/key'), 404, 'NOT_FOUND');
    const bobs = await bob.client.json('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(9) } });
    expect(bobs.status).toBe(200);
    const alices = await alice.client.json('GET', '/api/vault/key');
    expect(vaultKeyResponseSchema.parse(alices.body).wrappedKey).toEqual(wrappedKey(8));
    await expectError(await new ApiClient().call('GET', '/api/vault/key'), 401, 'UNAUTHENTICATED');
    await expectError(await new ApiClient().call('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(1) } }), 401, 'UNAUTHENTICATED');
  });
});

describe('S14: vault status', () => {
  it('reports the head, bytes, quota, last sync, key presence and recent uploads of this user only', async () => {
    const { client } = await signUp();
    const other = await signUp();
    await uploadSegment(other.client, 'someone else');

    const empty = vaultStatusResponseSchema.parse((await client.json('GET', '/api/vault/status')).body);
    expect(empty).toMatchObject({ head: { version: 0, bytes: 0 }, storedBlobs: { count: 0, bytes: 0 }, lastSyncAt: null, hasVaultKey: false, recentUploads: [] });
    expect(empty.quotaBytes).toBe(104_857_600);

    const seg = await uploadSegment(client, 'twelve bytes');
    const committed = await commitOk(client, commitBody(0, [seg], { stats: { nodes: 40, conversations: 4 } }));
    await client.json('POST', '/api/uploads', { json: { deviceId: 'laptop', provider: 'claude', fileName: 'claude.zip', bytes: 1234 } });
    await client.json('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey: wrappedKey(1) } });

    const status = vaultStatusResponseSchema.parse((await client.json('GET', '/api/vault/status')).body);
    expect(status.head).toMatchObject({ version: 1, segmentCount: 1, bytes: 12, stats: { nodes: 40, conversations: 4 } });
    expect(status.storedBlobs).toEqual({ count: 1, bytes: 12 });
    expect(status.lastSyncAt).toBe(committed.commit.createdAt);
    expect(status.hasVaultKey).toBe(true);
    expect(status.recentUploads.map((u) => u.fileName)).toEqual(['claude.zip']);
  });

  it('needs a session', async () => {
    await expectError(await new ApiClient().call('GET', '/api/vault/status'), 401, 'UNAUTHENTICATED');
  });
});
