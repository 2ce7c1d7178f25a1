/** /api/vault: status (S14) and the wrapped vault key (S12). The server only ever holds the key's ciphertext. */
import { Hono } from 'hono';
import { putVaultKeyRequestSchema, type VaultKeyConflictResponse, type VaultStatusResponse } from '../../../shared/sync/protocol';
import { AppError, ERROR_MESSAGES } from '../../../shared/errors';
import { requireUser } from '../auth/middleware';
import type { AppEnv } from '../env';
import { limitBody, validate } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { requireKnownProtocol } from '../http/protocol-version';
import { verifiedBlobTotals } from '../repos/blobs';
import { listUploads } from '../repos/uploads';
import { vaultHeadsFromEnv } from '../repos/vault-heads';
import { getTierLimits } from '../tiers';

const KEY_BODY_LIMIT = 4 * 1024;
const RECENT_UPLOADS = 10;

export const vaultRoutes = new Hono<AppEnv>()
  .use(requireKnownProtocol, requireUser, limitPerUser)
  .get('/status', async (c) => {
    const { user } = c.var;
    const now = c.var.deps.now();
    const [head, storedBlobs, key, recentUploads] = await Promise.all([
      vaultHeadsFromEnv(c.env).getHead(user.id, now),
      verifiedBlobTotals(c.env.DB, user.id),
      vaultHeadsFromEnv(c.env).getVaultKey(user.id, now),
      listUploads(c.env.DB, user.id, RECENT_UPLOADS),
    ]);
    const body: VaultStatusResponse = {
      head,
      quotaBytes: getTierLimits(c.env, user.tier).vaultBytes,
      storedBlobs,
      lastSyncAt: head.updatedAt,
      hasVaultKey: key !== null,
      recentUploads,
    };
    return c.json(body);
  })
  .get('/key', async (c) => {
    const key = await vaultHeadsFromEnv(c.env).getVaultKey(c.var.user.id, c.var.deps.now());
    if (key === null) throw new AppError('NOT_FOUND');
    return c.json(key);
  })
  // S12: compare-and-set on the key revision, so two devices setting up sync at once cannot orphan each other's data.
  .put('/key', limitBody(KEY_BODY_LIMIT), validate('json', putVaultKeyRequestSchema), async (c) => {
    const { expectedRevision, wrappedKey } = c.req.valid('json');
    const result = await vaultHeadsFromEnv(c.env).putVaultKey(c.var.user.id, expectedRevision, wrappedKey, c.var.deps.now());
    if (!result.ok) {
      const conflict: VaultKeyConflictResponse = {
        error: { code: 'SYNC_CONFLICT', message: ERROR_MESSAGES.SYNC_CONFLICT },
        current: result.current,
      };
      return c.json(conflict, 409);
    }
    return c.json(result.key);
  });
