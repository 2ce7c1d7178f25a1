// Small steps of the sync protocol that several worker test files take.
import { expect } from 'vitest';
import { sha256Hex } from '../../shared/sync/hash';
import { commitResponseSchema, missingBlobsResponseSchema, type CommitRequest, type CommitResponse } from '../../shared/sync/protocol';
import type { ApiClient } from './helpers';

export function bytesOf(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new TextEncoder().encode(text));
}

export async function putDirect(client: ApiClient, bytes: Uint8Array<ArrayBuffer>, hash?: string): Promise<Response> {
  const name = hash ?? (await sha256Hex(bytes));
  return client.call('PUT', `/api/sync/blobs/${name}`, { body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
}

/** Uploads a segment through the Worker and returns its hash. */
export async function uploadSegment(client: ApiClient, text: string): Promise<string> {
  const bytes = bytesOf(text);
  const res = await putDirect(client, bytes);
  expect(res.status).toBe(201);
  await res.body?.cancel();
  return sha256Hex(bytes);
}

export async function missing(client: ApiClient, hashes: string[]): Promise<string[]> {
  const res = await client.json('POST', '/api/sync/blobs/missing', { json: { hashes } });
  expect(res.status).toBe(200);
  return missingBlobsResponseSchema.parse(res.body).missing;
}

export function commitBody(baseVersion: number, addedSegments: string[], extra: Partial<CommitRequest> = {}): CommitRequest {
  return { baseVersion, deviceId: 'device-a', addedSegments, ...extra };
}

export async function commitOk(client: ApiClient, body: CommitRequest): Promise<CommitResponse> {
  const res = await client.json('POST', '/api/sync/commit', { json: body });
  expect(res.status).toBe(201);
  return commitResponseSchema.parse(res.body);
}
