/** SPEC S3: a blob key is built only from the authenticated user's id and a validated hash, never from client paths. */
import { AppError } from '../../../shared/errors';
import { sha256HexSchema } from '../../../shared/sync/protocol';

const userIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

export function userBlobPrefix(userId: string): string {
  if (!userIdPattern.test(userId)) throw new AppError('INTERNAL', { detail: 'user id is not key-safe' });
  return `users/${userId}/`;
}

export function blobKey(userId: string, sha256: string): string {
  if (!sha256HexSchema.safeParse(sha256).success) throw new AppError('VALIDATION_FAILED', { detail: 'not a SHA-256 hex' });
  return `${userBlobPrefix(userId)}blobs/${sha256}`;
}
