/**
 * The engine's Transport over the Worker's HTTP routes (SPEC S1-S16, S22), with `fetch` passed in (the PWA's, node's or a
 * test's). Every request names the protocol version (S22). Failures worth retrying become TransportError (network,
 * timeout, 5xx, 429 with its Retry-After); the server's own refusals become the AppError its envelope names.
 */
import { AppError, errorEnvelopeSchema } from '../errors';
import { TransportError, type Transport } from './ports';
import {
  MAX_DIRECT_BLOB_BYTES,
  SYNC_PROTOCOL_HEADER,
  SYNC_PROTOCOL_VERSION,
  blobRecordSchema,
  commitResponseSchema,
  downloadResponseSchema,
  manifestResponseSchema,
  missingBlobsResponseSchema,
  syncConflictResponseSchema,
  uploadUrlResponseSchema,
  type CommitRequest,
  type CommitResponse,
  type ManifestResponse,
  type PresignedRequest,
  type Sha256Hex,
  type VaultHead,
  type VaultKeyResponse,
  type WrappedKey,
  vaultKeyConflictResponseSchema,
  vaultKeyResponseSchema,
} from './protocol';

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpTransportOptions {
  /** Origin of the API, e.g. `https://vault.cogzy.app` ('' for same-origin in the browser). */
  baseUrl: string;
  fetch: Fetch;
  /** Credentials for each API request: a bearer token, or the CSRF header when the session is a cookie. */
  headers: () => Record<string, string>;
  /** An AbortSignal per request, e.g. `() => AbortSignal.timeout(30_000)`; none by default. */
  signal?: () => AbortSignal;
}

function retryAfterMs(response: Response): number | null {
  const value = response.headers.get('Retry-After');
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

export class HttpTransport implements Transport {
  constructor(private readonly options: HttpTransportOptions) {}

  private async send(url: string, init: RequestInit): Promise<Response> {
    const signal = this.options.signal?.();
    try {
      return await this.options.fetch(url, signal === undefined ? init : { ...init, signal });
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') throw new TransportError('timeout', null, url);
      // fetch rejects only for network failures (offline, DNS, CORS); node's fetch keeps the reason in its cause.
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new TransportError('network', null, `${error instanceof Error ? error.message : String(error)}${cause} (${new URL(url).pathname})`);
    }
  }

  /** Non-2xx answers as the error the caller should see; `body` already read when given. */
  private async failure(response: Response, body?: unknown): Promise<Error> {
    if (response.status === 429) return new TransportError('rate-limited', retryAfterMs(response), 'HTTP 429');
    if (response.status >= 500 && response.status !== 507) return new TransportError('server', retryAfterMs(response), `HTTP ${response.status}`);
    let parsedBody = body;
    if (parsedBody === undefined) parsedBody = await response.json().catch(() => null);
    const envelope = errorEnvelopeSchema.safeParse(parsedBody);
    if (envelope.success) return AppError.fromData(envelope.data.error);
    return new AppError('INTERNAL', { detail: `HTTP ${response.status} without an error envelope` });
  }

  private async api(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { ...this.options.headers(), [SYNC_PROTOCOL_HEADER]: String(SYNC_PROTOCOL_VERSION) };
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) {
      headers['Content-Type'] = 'application/octet-stream';
      payload = body as Uint8Array<ArrayBuffer>;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    return this.send(`${this.options.baseUrl}/api${path}`, { method, headers, body: payload });
  }

  private async json(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.api(method, path, body);
    if (!response.ok) throw await this.failure(response);
    return response.json();
  }

  async missingBlobs(hashes: readonly Sha256Hex[]): Promise<Sha256Hex[]> {
    return missingBlobsResponseSchema.parse(await this.json('POST', '/sync/blobs/missing', { hashes })).missing;
  }

  /** S8 first (straight to the bucket), then verify; the Worker's direct upload (S4) when the bucket is unreachable. */
  async uploadBlob(hash: Sha256Hex, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    const { upload } = uploadUrlResponseSchema.parse(await this.json('POST', `/sync/blobs/${hash}/upload-url`, { size: bytes.byteLength }));
    let presigned = false;
    try {
      presigned = await this.putPresigned(upload, bytes);
    } catch (error) {
      if (!(error instanceof TransportError) || error.kind !== 'network') throw error;
    }
    if (!presigned) {
      if (bytes.byteLength > MAX_DIRECT_BLOB_BYTES) throw new TransportError('network', null, 'the bucket refused the upload and the blob is too large for the Worker');
      blobRecordSchema.parse(await this.json('PUT', `/sync/blobs/${hash}`, bytes));
      return;
    }
    blobRecordSchema.parse(await this.json('POST', `/sync/blobs/${hash}/verify`));
  }

  private async putPresigned(upload: PresignedRequest, bytes: Uint8Array<ArrayBuffer>): Promise<boolean> {
    const response = await this.send(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    await response.body?.cancel();
    if (response.status >= 500) throw new TransportError('server', retryAfterMs(response), `bucket HTTP ${response.status}`);
    return response.ok;
  }

  async downloadBlob(hash: Sha256Hex): Promise<Uint8Array<ArrayBuffer>> {
    const { download } = downloadResponseSchema.parse(await this.json('GET', `/sync/blobs/${hash}`));
    const response = await this.send(download.url, { method: download.method, headers: download.headers });
    if (!response.ok) {
      await response.body?.cancel();
      if (response.status === 404) throw new AppError('BLOB_MISSING', { detail: hash });
      throw new TransportError('server', retryAfterMs(response), `bucket HTTP ${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  async commit(request: CommitRequest): Promise<{ ok: true; response: CommitResponse } | { ok: false; conflict: VaultHead }> {
    const response = await this.api('POST', '/sync/commit', request);
    if (response.status === 409) {
      const body: unknown = await response.json().catch(() => null);
      // S5's 409 carries the winning head; BLOB_MISSING is a 409 without one.
      const conflict = syncConflictResponseSchema.safeParse(body);
      if (conflict.success && conflict.data.error.code === 'SYNC_CONFLICT') return { ok: false, conflict: conflict.data.head };
      throw await this.failure(response, body);
    }
    if (!response.ok) throw await this.failure(response);
    return { ok: true, response: commitResponseSchema.parse(await response.json()) };
  }

  async manifest(since: number): Promise<ManifestResponse> {
    // Fields a newer server adds to the page (checkpoints, paging hints) are ignored; `hasMore` drives paging.
    return manifestResponseSchema.parse(await this.json('GET', `/sync/manifest?since=${since}`));
  }

  /** S12: the wrapped vault key, or null before sync was set up. */
  async getVaultKey(): Promise<VaultKeyResponse | null> {
    const response = await this.api('GET', '/vault/key');
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await this.failure(response);
    return vaultKeyResponseSchema.parse(await response.json());
  }

  /** S12: compare-and-set on the key's revision; a lost race returns the key that won. */
  async putVaultKey(expectedRevision: number, wrappedKey: WrappedKey): Promise<{ ok: true; key: VaultKeyResponse } | { ok: false; current: VaultKeyResponse | null }> {
    const response = await this.api('PUT', '/vault/key', { expectedRevision, wrappedKey });
    if (response.status === 409) {
      const body: unknown = await response.json().catch(() => null);
      const conflict = vaultKeyConflictResponseSchema.safeParse(body);
      if (conflict.success) return { ok: false, current: conflict.data.current };
      throw await this.failure(response, body);
    }
    if (!response.ok) throw await this.failure(response);
    return { ok: true, key: vaultKeyResponseSchema.parse(await response.json()) };
  }
}
