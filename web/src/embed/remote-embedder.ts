/**
 * Remote embedder for any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, DeepInfra, Ollama, TEI, LM Studio).
 * Texts go out in batches through a bounded pool; each request has a timeout and is retried on 429, 5xx, timeouts
 * and network errors with exponential backoff and full jitter, waiting at least what `Retry-After` asks. Platform
 * and HTTP failures become EMBEDDER_* AppErrors here, at the adapter.
 *
 * Browsers open at most 6 HTTP/1.1 connections per host, so concurrency above 6 pays off only against HTTP/2
 * services (the large hosted APIs are).
 */
import { z } from 'zod';
import type { EmbedOptions, Embedder } from '../../../shared/embed/embedder';
import { Semaphore } from '../../../shared/embed/pool';
import type { Random } from '../../../shared/embed/random';
import { backoffDelay, isRetryableStatus, parseRetryAfter, type BackoffPolicy } from '../../../shared/embed/retry';
import { makeBatches } from '../../../shared/embed/text';
import { normalizeInPlace } from '../../../shared/embed/vector-math';
import { AppError, type ErrorCode } from '../../../shared/errors';

export const remoteEmbedderConfigSchema = z.object({
  /** e.g. https://api.openai.com (a trailing /v1 is accepted too). */
  baseUrl: z.string().url(),
  model: z.string().min(1),
  apiKey: z.string().default(''),
  /** Asks the service for shorter vectors (OpenAI text-embedding-3-*); omitted when unset. */
  dimensions: z.number().int().positive().max(8192).optional(),
  batchSize: z.number().int().min(1).max(2048).default(64),
  /** Characters per request, so a batch of long texts stays under the service's per-request token cap. */
  maxBatchChars: z.number().int().positive().default(200_000),
  concurrency: z.number().int().min(1).max(1024).default(4),
  timeoutMs: z.number().int().positive().default(60_000),
  maxRetries: z.number().int().min(0).max(50).default(8),
  /** The model's window in tokens; texts are cut to 3 characters per token before sending. */
  maxInputTokens: z.number().int().positive().default(8191),
});
export type RemoteEmbedderConfig = z.input<typeof remoteEmbedderConfigSchema>;

export interface RemoteEmbedderDeps {
  readonly fetch?: typeof fetch;
  readonly random?: Random;
  readonly now?: () => number;
  readonly backoff?: BackoffPolicy;
  /** Longest wait a Retry-After may impose before we treat the service as unavailable for this attempt. */
  readonly maxRetryAfterMs?: number;
}

const embeddingsResponseSchema = z.object({
  data: z
    .array(
      z.object({
        index: z.number().int().nonnegative(),
        embedding: z.union([z.array(z.number()), z.string()]),
      }),
    )
    .min(1),
});

const errorBodySchema = z.object({ error: z.object({ message: z.string() }).or(z.string()) });

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const cancelled = (): AppError => new AppError('EMBEDDER_CANCELLED');

function decodeBase64Floats(text: string): Float32Array {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 4));
}

/** One attempt's outcome, before the retry decision. */
type Attempt = { ok: true; vectors: Float32Array[] } | { ok: false; retryable: boolean; code: ErrorCode; detail: string; retryAfterMs: number | null };

export class RemoteEmbedder implements Embedder {
  readonly modelId: string;
  readonly maxInputChars: number;
  private dims: number | null;
  private readonly config: z.output<typeof remoteEmbedderConfigSchema>;
  private readonly endpoint: string;
  private readonly fetchFn: typeof fetch;
  private readonly random: Random;
  private readonly now: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly maxRetryAfterMs: number;
  /** Shared by every embed call on this instance: concurrency is a property of the service, not of one call. */
  private readonly slots: Semaphore;

  constructor(config: RemoteEmbedderConfig, deps: RemoteEmbedderDeps = {}) {
    this.config = remoteEmbedderConfigSchema.parse(config);
    const base = this.config.baseUrl.replace(/\/+$/, '');
    this.endpoint = base.endsWith('/v1') ? `${base}/embeddings` : `${base}/v1/embeddings`;
    this.modelId = `remote:${this.config.model}`;
    this.dims = this.config.dimensions ?? null;
    this.maxInputChars = this.config.maxInputTokens * 3;
    this.fetchFn = deps.fetch ?? globalThis.fetch.bind(globalThis);
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? Date.now;
    this.backoff = deps.backoff ?? { baseMs: 500, maxMs: 30_000 };
    this.maxRetryAfterMs = deps.maxRetryAfterMs ?? 120_000;
    this.slots = new Semaphore(this.config.concurrency);
  }

  get dimensions(): number | null {
    return this.dims;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw cancelled();
    const indexed = texts.map((text, index) => ({ text: text.length > this.maxInputChars ? text.slice(0, this.maxInputChars) : text, index }));
    const batches = makeBatches(indexed, (t) => t.text.length, this.config.batchSize, this.config.maxBatchChars);
    const out = new Array<Float32Array>(texts.length);
    let done = 0;
    // A failed batch stops the others: they are aborted rather than left running.
    const stop = new AbortController();
    const onOuterAbort = (): void => stop.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    let firstError: unknown = null;
    try {
      // allSettled: when one batch fails the others are aborted, and we return only once they have let go of their slots.
      await Promise.allSettled(
        batches.map((batch) =>
          this.slots
            .run(() => (stop.signal.aborted ? Promise.reject(cancelled()) : this.embedBatch(batch.map((b) => b.text), stop.signal)))
            .then(
              (vectors) => {
                batch.forEach((b, i) => {
                  out[b.index] = vectors[i]!;
                });
                done += batch.length;
                onProgress?.({ done, total: texts.length });
              },
              (error: unknown) => {
                firstError ??= error;
                stop.abort();
              },
            ),
        ),
      );
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
    }
    if (signal?.aborted) throw cancelled();
    if (firstError !== null) throw firstError instanceof AppError ? firstError : new AppError('EMBEDDER_UNAVAILABLE', { detail: firstError instanceof Error ? firstError.message : 'unknown failure', cause: firstError });
    return out;
  }

  private async embedBatch(inputs: readonly string[], signal: AbortSignal): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt += 1) {
      if (signal.aborted) throw cancelled();
      const result = await this.attempt(inputs, signal);
      if (result.ok) return result.vectors;
      if (!result.retryable || attempt >= this.config.maxRetries) throw new AppError(result.code, { detail: result.detail });
      const jittered = backoffDelay(attempt, this.backoff, this.random);
      // Retry-After is a floor; up to 20% on top keeps a crowd of rate-limited requests from returning at once.
      const wait = result.retryAfterMs === null ? jittered : result.retryAfterMs * (1 + 0.2 * this.random());
      if (wait > this.maxRetryAfterMs) throw new AppError(result.code, { detail: `${result.detail}; asked to wait ${Math.round(wait / 1000)} s` });
      await sleep(wait, signal);
    }
  }

  private async attempt(inputs: readonly string[], signal: AbortSignal): Promise<Attempt> {
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const either = AbortSignal.any([signal, timeout]);
    const body: Record<string, unknown> = { model: this.config.model, input: inputs, encoding_format: 'float' };
    if (this.config.dimensions !== undefined) body.dimensions = this.config.dimensions;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    let response: Response;
    try {
      response = await this.fetchFn(this.endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal: either });
    } catch (error) {
      if (signal.aborted) throw cancelled();
      const timedOut = timeout.aborted;
      return { ok: false, retryable: true, code: 'EMBEDDER_UNAVAILABLE', detail: timedOut ? `no answer within ${this.config.timeoutMs} ms` : `network error: ${String(error)}`, retryAfterMs: null };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw cancelled();
      return { ok: false, retryable: true, code: 'EMBEDDER_UNAVAILABLE', detail: `answer cut off: ${String(error)}`, retryAfterMs: null };
    }
    if (!response.ok) return this.failure(response, text);
    return this.parse(text, inputs.length);
  }

  private failure(response: Response, text: string): Attempt {
    let serviceMessage = text.slice(0, 300);
    try {
      const parsed = errorBodySchema.safeParse(JSON.parse(text));
      if (parsed.success) serviceMessage = typeof parsed.data.error === 'string' ? parsed.data.error : parsed.data.error.message;
    } catch {
      // Not JSON: keep the raw start of the body as the detail.
    }
    const detail = `HTTP ${response.status}: ${serviceMessage}`;
    const { status } = response;
    if (status === 401 || status === 403) return { ok: false, retryable: false, code: 'EMBEDDER_UNAUTHORIZED', detail, retryAfterMs: null };
    if (isRetryableStatus(status)) {
      return {
        ok: false,
        retryable: true,
        code: status === 429 ? 'EMBEDDER_RATE_LIMITED' : 'EMBEDDER_UNAVAILABLE',
        detail,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.now()),
      };
    }
    return { ok: false, retryable: false, code: 'EMBEDDER_BAD_RESPONSE', detail, retryAfterMs: null };
  }

  private parse(text: string, expected: number): Attempt {
    const bad = (detail: string): Attempt => ({ ok: false, retryable: false, code: 'EMBEDDER_BAD_RESPONSE', detail, retryAfterMs: null });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return bad('the answer is not JSON');
    }
    const parsed = embeddingsResponseSchema.safeParse(json);
    if (!parsed.success) return bad(`unexpected answer shape: ${parsed.error.issues[0]?.message ?? ''}`);
    if (parsed.data.data.length !== expected) return bad(`asked for ${expected} vectors, got ${parsed.data.data.length}`);
    const vectors = new Array<Float32Array>(expected);
    for (const item of parsed.data.data) {
      if (item.index >= expected || vectors[item.index] !== undefined) return bad(`vector index ${item.index} is out of place`);
      const v = typeof item.embedding === 'string' ? decodeBase64Floats(item.embedding) : Float32Array.from(item.embedding);
      const dims = this.dims ?? v.length;
      if (v.length !== dims || dims === 0) return bad(`vector of ${v.length} dimensions, expected ${dims}`);
      this.dims = dims;
      // Not every service normalises (Ollama, TEI without --normalize); search assumes unit vectors.
      vectors[item.index] = normalizeInPlace(v);
    }
    return { ok: true, vectors };
  }
}
