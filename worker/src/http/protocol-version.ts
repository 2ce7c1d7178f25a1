/** S22: sync requests name their protocol version; one the server does not know is refused before anything runs. */
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../../shared/errors';
import { SUPPORTED_SYNC_PROTOCOL_VERSIONS, SYNC_PROTOCOL_HEADER } from '../../../shared/sync/protocol';
import type { AppEnv } from '../env';

export const requireKnownProtocol = createMiddleware<AppEnv>(async (c, next) => {
  const named = c.req.header(SYNC_PROTOCOL_HEADER);
  // No header: a client from before versioning, which speaks version 1.
  if (named !== undefined) {
    const version = /^\d{1,6}$/.test(named.trim()) ? Number(named.trim()) : Number.NaN;
    if (!SUPPORTED_SYNC_PROTOCOL_VERSIONS.includes(version)) {
      throw new AppError('SYNC_PROTOCOL_UNSUPPORTED', { detail: `protocol ${named.slice(0, 20)}; this server speaks ${SUPPORTED_SYNC_PROTOCOL_VERSIONS.join(', ')}` });
    }
  }
  await next();
});
