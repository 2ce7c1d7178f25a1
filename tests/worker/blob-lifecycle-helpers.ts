// Steps the blob-lifecycle attack tests share: the Cron Trigger as workerd invokes it, and what the store holds.
import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { uploadUrlResponseSchema, type UploadUrlResponse } from '../../shared/sync/protocol';
import { userBlobPrefix } from '../../worker/src/blob/keys';
import { S3BlobStore } from '../../worker/src/blob/s3';
import worker from '../../worker/src/index';
import type { ApiClient } from './helpers';

/** Runs the Worker's `scheduled` handler, exactly as the Cron Trigger would, at `scheduledTime`. */
export async function runCron(scheduledTime: number): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime, cron: '*/15 * * * *' }), env);
}

/** The object keys the blob store holds for a user (read straight from the local S3 server). */
export async function storedKeys(userId: string): Promise<string[]> {
  return S3BlobStore.fromEnv(env).list(userBlobPrefix(userId));
}

export async function uploadUrl(client: ApiClient, hash: string, size: number): Promise<UploadUrlResponse> {
  const res = await client.json('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size } });
  expect(res.status).toBe(200);
  return uploadUrlResponseSchema.parse(res.body);
}

/** PUTs bytes through a presigned URL with plain fetch, as a browser (or an attacker) would. */
export async function putThrough(url: UploadUrlResponse, body: Uint8Array<ArrayBuffer>): Promise<number> {
  const res = await fetch(url.upload.url, { method: url.upload.method, headers: url.upload.headers, body });
  await res.body?.cancel();
  return res.status;
}

/** Bytes that hash to nothing in particular: what an attacker stores through a URL for another hash. */
export function junk(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  bytes.fill(seed & 0xff);
  return bytes;
}

export const MiB = 1024 * 1024;
