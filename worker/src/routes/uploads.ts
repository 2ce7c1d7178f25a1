/** /api/uploads: import records a device reports (S13); any device of the same user lists them. */
import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { createUploadRequestSchema, updateUploadRequestSchema, type UploadListResponse } from '../../../shared/sync/protocol';
import { requireUser } from '../auth/middleware';
import type { AppEnv } from '../env';
import { JSON_BODY_LIMIT_BYTES, limitBody, validate } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { createUpload, listUploads, updateUpload } from '../repos/uploads';

const LIST_LIMIT = 100;

export const uploadRoutes = new Hono<AppEnv>()
  .use(limitBody(JSON_BODY_LIMIT_BYTES), requireUser, limitPerUser)
  .post('/', validate('json', createUploadRequestSchema), async (c) => {
    const request = c.req.valid('json');
    const record = await createUpload(c.env.DB, {
      id: crypto.randomUUID(),
      userId: c.var.user.id,
      deviceId: request.deviceId,
      provider: request.provider,
      fileName: request.fileName,
      bytes: request.bytes,
      status: request.status,
      now: c.var.deps.now(),
    });
    if (record === null) throw new AppError('TOO_MANY_ACTIVE_UPLOADS');
    return c.json(record, 201);
  })
  // Another user's id answers NOT_FOUND, exactly like an id that never existed (no existence leak).
  .patch('/:id', validate('param', z.object({ id: z.uuid() })), validate('json', updateUploadRequestSchema), async (c) => {
    const record = await updateUpload(c.env.DB, c.var.user.id, c.req.valid('param').id, c.req.valid('json'), c.var.deps.now());
    if (record === null) throw new AppError('NOT_FOUND');
    return c.json(record);
  })
  .get('/', async (c) => {
    const body: UploadListResponse = { uploads: await listUploads(c.env.DB, c.var.user.id, LIST_LIMIT) };
    return c.json(body);
  });
