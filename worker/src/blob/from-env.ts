/** Picks the blob store adapter from the Worker's env (per request: no import-time singletons). */
import type { Env } from '../env';
import { userBlobPrefix } from './keys';
import type { BlobStore } from './port';
import { S3BlobStore } from './s3';

export function blobStoreFromEnv(env: Env): BlobStore {
  return S3BlobStore.fromEnv(env);
}

/** Account deletion: every blob under users/{userId}/ (AppDeps.deleteAllUserBlobs). */
export async function deleteAllUserBlobs(env: Env, userId: string): Promise<void> {
  await blobStoreFromEnv(env).deletePrefix(userBlobPrefix(userId));
}
