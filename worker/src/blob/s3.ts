/**
 * BlobStore over an S3-compatible API (Backblaze B2 in production, R2's S3 API, a local S3 server in dev/tests),
 * signed with SigV4 by aws4fetch. Path-style URLs ({endpoint}/{bucket}/{key}) because B2 and local servers
 * accept them everywhere. Writes carry the real payload hash in `x-amz-content-sha256` (not UNSIGNED-PAYLOAD) so the
 * store itself refuses bytes that do not match.
 */
import { AwsClient, AwsV4Signer } from 'aws4fetch';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { PresignedRequest } from '../../../shared/sync/protocol';
import type { BlobHead, BlobObject, BlobStore } from './port';

export const s3ConfigSchema = z.object({
  /** e.g. https://s3.us-west-004.backblazeb2.com (B2), http://127.0.0.1:4569 (local). No trailing path. */
  S3_ENDPOINT: z.url(),
  S3_REGION: z.string().min(1),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
  S3_ACCESS_KEY_ID: z.string().min(1),
  S3_SECRET_ACCESS_KEY: z.string().min(1),
});
export type S3Config = z.infer<typeof s3ConfigSchema>;

/** The B2 endpoint for a region (e.g. `us-west-004`), as B2's S3-compatible API names it. */
export function b2Endpoint(region: string): string {
  return `https://s3.${region}.backblazeb2.com`;
}

export interface S3BlobStoreOptions {
  /** Injected clock for presigned expiry (epoch ms). */
  now?: () => number;
  /** The fetch used to reach the store (workerd's global fetch by default). */
  fetch?: typeof fetch;
  /** Waits between attempts after a 5xx/429 or a network failure; one entry per retry. */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

const DELETE_CONCURRENCY = 8;

export class S3BlobStore implements BlobStore {
  private readonly client: AwsClient;
  private readonly base: string;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  private readonly retryDelaysMs: readonly number[];
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly config: S3Config, options: S3BlobStoreOptions = {}) {
    this.client = new AwsClient({
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      service: 's3',
      region: config.S3_REGION,
      retries: 0,
    });
    this.base = `${config.S3_ENDPOINT.replace(/\/+$/, '')}/${config.S3_BUCKET}`;
    this.now = options.now ?? (() => Date.now());
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.retryDelaysMs = options.retryDelaysMs ?? [100, 400];
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Reads the S3 settings from the Worker's env; a missing or malformed setting is an operator error. */
  static fromEnv(env: Partial<Record<keyof S3Config, unknown>>, options: S3BlobStoreOptions = {}): S3BlobStore {
    const parsed = s3ConfigSchema.safeParse(env);
    if (!parsed.success) {
      throw new AppError('INTERNAL', { detail: `blob store is not configured: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}` });
    }
    return new S3BlobStore(parsed.data, options);
  }

  async put(key: string, bytes: Uint8Array<ArrayBuffer>, sha256Hex: string): Promise<{ etag: string | null }> {
    const res = await this.send(this.url(key), {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream', 'x-amz-content-sha256': sha256Hex },
    });
    await expectOk(res, 'put');
    await res.body?.cancel();
    return { etag: res.headers.get('etag') };
  }

  async head(key: string): Promise<BlobHead | null> {
    const res = await this.send(this.url(key), { method: 'HEAD' });
    if (res.status === 404) return null;
    await expectOk(res, 'head');
    return { size: Number(res.headers.get('content-length') ?? '0'), etag: res.headers.get('etag') };
  }

  async get(key: string): Promise<BlobObject | null> {
    const res = await this.send(this.url(key), { method: 'GET' });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    await expectOk(res, 'get');
    if (res.body === null) throw new AppError('INTERNAL', { detail: 'blob store returned no body' });
    // workers-types leaves a response body's chunk type open; fetch bodies are bytes.
    return { size: Number(res.headers.get('content-length') ?? '0'), etag: res.headers.get('etag'), body: res.body as ReadableStream<Uint8Array> };
  }

  async delete(key: string): Promise<void> {
    const res = await this.send(this.url(key), { method: 'DELETE' });
    if (res.status === 404) return;
    await expectOk(res, 'delete');
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | null = null;
    do {
      const url = new URL(this.base);
      url.searchParams.set('list-type', '2');
      url.searchParams.set('prefix', prefix);
      if (token !== null) url.searchParams.set('continuation-token', token);
      const res = await this.send(url.toString(), { method: 'GET' });
      await expectOk(res, 'list');
      const xml = await res.text();
      for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(unescapeXml(match[1] ?? ''));
      const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
      const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
      token = truncated && next !== undefined ? unescapeXml(next) : null;
    } while (token !== null);
    return keys.sort();
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    // One DELETE per key: S3's batch delete needs Content-MD5, which WebCrypto outside workerd cannot compute.
    for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
      await Promise.all(keys.slice(i, i + DELETE_CONCURRENCY).map((key) => this.delete(key)));
    }
    return keys.length;
  }

  async presignPut(key: string, size: number, sha256Hex: string, expiresInSeconds: number): Promise<PresignedRequest> {
    // Length and hash are signed, so the store refuses other bytes; both are checked again at verify (SPEC S8).
    // The client sends only the hash header: browsers set Content-Length from the body themselves.
    const headers = { 'x-amz-content-sha256': sha256Hex };
    const url = await this.presign('PUT', key, expiresInSeconds, { ...headers, 'content-length': String(size) });
    return { method: 'PUT', url, headers, expiresAt: this.now() + expiresInSeconds * 1000 };
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<PresignedRequest> {
    const url = await this.presign('GET', key, expiresInSeconds, {});
    return { method: 'GET', url, headers: {}, expiresAt: this.now() + expiresInSeconds * 1000 };
  }

  private url(key: string): string {
    return `${this.base}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  private async presign(method: 'PUT' | 'GET', key: string, expiresInSeconds: number, headers: Record<string, string>): Promise<string> {
    const url = new URL(this.url(key));
    url.searchParams.set('X-Amz-Expires', String(expiresInSeconds));
    const signer = new AwsV4Signer({
      url: url.toString(),
      method,
      headers,
      accessKeyId: this.config.S3_ACCESS_KEY_ID,
      secretAccessKey: this.config.S3_SECRET_ACCESS_KEY,
      service: 's3',
      region: this.config.S3_REGION,
      signQuery: true,
      // Sign content-length too (aws4fetch skips it by default) so a presigned PUT fits one size only.
      allHeaders: true,
      datetime: new Date(this.now()).toISOString().replace(/[:-]|\.\d{3}/g, ''),
    });
    const signed = await signer.sign();
    return signed.url.toString();
  }

  private async send(url: string, init: { method: string; body?: Uint8Array<ArrayBuffer>; headers?: Record<string, string> }): Promise<Response> {
    // B2 answers 503 when a storage pod is busy and expects the client to retry; every call here is idempotent
    // (content-addressed PUT, GET, HEAD, DELETE), so retrying is safe. Each attempt is signed afresh.
    for (let attempt = 0; ; attempt += 1) {
      const request = await this.client.sign(url, init);
      const last = attempt >= this.retryDelaysMs.length;
      let res: Response;
      try {
        res = await this.fetchFn(request);
      } catch (cause) {
        if (last) throw new AppError('INTERNAL', { detail: `blob store unreachable (${init.method})`, cause });
        await this.sleep(this.retryDelaysMs[attempt] ?? 0);
        continue;
      }
      if (last || (res.status < 500 && res.status !== 429)) return res;
      await res.body?.cancel();
      await this.sleep(this.retryDelaysMs[attempt] ?? 0);
    }
  }
}

async function expectOk(res: Response, op: string): Promise<void> {
  if (res.ok) return;
  const text = await res.text().catch(() => '');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? 'unknown';
  if (op === 'put' && (code === 'XAmzContentSHA256Mismatch' || code === 'BadDigest')) {
    throw new AppError('BLOB_HASH_MISMATCH', { detail: `blob store rejected the payload hash (${code})` });
  }
  // Credentials, bucket or endpoint problems are the operator's, never the user's: INTERNAL with a log detail.
  throw new AppError('INTERNAL', { detail: `blob store ${op} failed: HTTP ${res.status} ${code}` });
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
