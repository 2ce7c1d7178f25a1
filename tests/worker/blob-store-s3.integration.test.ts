// The BlobStore contract inside workerd (the runtime production uses) against the local S3-compatible server, and
// account deletion reaching the blob store through the same adapter.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { blobStoreFromEnv } from '../../worker/src/blob/from-env';
import { userBlobPrefix } from '../../worker/src/blob/keys';
import { blobStoreContract } from '../unit/blob-store.contract';
import { expectError, signUp } from './helpers';
import { uploadSegment } from './sync-helpers';

blobStoreContract('S3 adapter in workerd + local s3rver', () => Promise.resolve({ store: blobStoreFromEnv(env), close: () => Promise.resolve() }));

describe('account deletion and the blob store', () => {
  it('deleting an account removes every blob under users/{id}/ and nobody else\'s', async () => {
    const leaving = await signUp();
    const staying = await signUp();
    await uploadSegment(leaving.client, 'leaving 1');
    await uploadSegment(leaving.client, 'leaving 2');
    await uploadSegment(staying.client, 'staying');
    const store = blobStoreFromEnv(env);
    expect(await store.list(userBlobPrefix(leaving.user.id))).toHaveLength(2);

    const res = await leaving.client.call('DELETE', '/api/account', { json: { secret: leaving.secret } });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(await store.list(userBlobPrefix(leaving.user.id))).toEqual([]);
    expect(await store.list(userBlobPrefix(staying.user.id))).toHaveLength(1);
    await expectError(await leaving.client.call('GET', '/api/vault/status'), 401, 'UNAUTHENTICATED');
  });
});
