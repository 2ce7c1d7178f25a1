// S22: the sync protocol version, in workerd against migrated D1.
import { describe, expect, it } from 'vitest';
import { SYNC_PROTOCOL_HEADER, SYNC_PROTOCOL_VERSION, manifestResponseSchema } from '../../shared/sync/protocol';
import { expectError, signUp } from './helpers';

describe('S22: protocol version', () => {
  it('the current version and no header (version 1) are served', async () => {
    const { client } = await signUp();
    const named = await client.json('GET', '/api/sync/manifest', { headers: { [SYNC_PROTOCOL_HEADER]: String(SYNC_PROTOCOL_VERSION) } });
    expect(named.status).toBe(200);
    expect(manifestResponseSchema.parse(named.body).head.version).toBe(0);
    expect((await client.json('GET', '/api/sync/manifest')).status).toBe(200);
  });

  it('an unknown or malformed version is refused with SYNC_PROTOCOL_UNSUPPORTED before anything changes', async () => {
    const { client } = await signUp();
    for (const version of ['2', '0', 'v1', '1.5']) {
      await expectError(await client.call('GET', '/api/sync/manifest', { headers: { [SYNC_PROTOCOL_HEADER]: version } }), 400, 'SYNC_PROTOCOL_UNSUPPORTED');
    }
    await expectError(
      await client.call('POST', '/api/sync/commit', {
        json: { baseVersion: 0, deviceId: 'future', addedSegments: [] },
        headers: { [SYNC_PROTOCOL_HEADER]: '99' },
      }),
      400,
      'SYNC_PROTOCOL_UNSUPPORTED',
    );
    await expectError(await client.call('GET', '/api/vault/key', { headers: { [SYNC_PROTOCOL_HEADER]: '99' } }), 400, 'SYNC_PROTOCOL_UNSUPPORTED');
    // The refused commit changed nothing.
    const manifest = await client.json('GET', '/api/sync/manifest');
    expect(manifestResponseSchema.parse(manifest.body).head.version).toBe(0);
  });

  it('the wrapped key accepts Argon2id parameters, a vault id and a recovery wrapper (C2, C3), and refuses weak Argon2id', async () => {
    const { client } = await signUp();
    const b64 = (n: number, fill: number) => btoa(String.fromCharCode(...new Uint8Array(n).fill(fill)));
    const wrappedKey = {
      version: 1,
      vaultId: b64(16, 1),
      kdf: { name: 'Argon2id', memoryKiB: 65_536, iterations: 3, parallelism: 1 },
      salt: b64(16, 2),
      iv: b64(12, 3),
      ciphertext: b64(48, 4),
      recovery: { kdf: { name: 'HKDF', hash: 'SHA-256' }, salt: b64(16, 5), iv: b64(12, 6), ciphertext: b64(48, 7) },
    };
    const put = await client.json('PUT', '/api/vault/key', { json: { expectedRevision: 0, wrappedKey } });
    expect(put.status).toBe(200);
    expect((await client.json('GET', '/api/vault/key')).body).toMatchObject({ wrappedKey });
    const weak = { ...wrappedKey, kdf: { name: 'Argon2id', memoryKiB: 1024, iterations: 1, parallelism: 1 } };
    await expectError(await client.call('PUT', '/api/vault/key', { json: { expectedRevision: 1, wrappedKey: weak } }), 400, 'VALIDATION_FAILED');
  });
});
