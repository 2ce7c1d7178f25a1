/**
 * The page's handle on the on-device model: an Embedder whose work runs in local-embedder.worker.ts. Errors cross
 * the worker boundary as data and become AppErrors again here.
 *
 *   WorkerEmbedder.start(config: LocalWorkerConfig): Promise<WorkerEmbedder>   // loads the model (MODEL_LOAD_FAILED)
 */
import { proxy, releaseProxy, wrap, type Remote } from 'comlink';
import type { EmbedOptions, Embedder } from '../../../shared/embed/embedder';
import { AppError } from '../../../shared/errors';
import type { LocalWorkerApi, LocalWorkerConfig, LocalWorkerResult } from './local-embedder.worker';
import type { LocalDevice } from './transformers-embedder';

function unwrap<T>(result: LocalWorkerResult<T>): T {
  if (!result.ok) throw AppError.fromData(result.error);
  return result.value;
}

export class WorkerEmbedder implements Embedder {
  readonly maxInputChars = 2000;
  private nextCall = 1;

  private constructor(
    readonly modelId: string,
    readonly dimensions: number,
    readonly device: LocalDevice,
    private readonly worker: Worker,
    private readonly remote: Remote<LocalWorkerApi>,
  ) {}

  static async start(config: LocalWorkerConfig): Promise<WorkerEmbedder> {
    const worker = new Worker(new URL('./local-embedder.worker.ts', import.meta.url), { type: 'module', name: 'cogzy-local-embedder' });
    const remote = wrap<LocalWorkerApi>(worker);
    try {
      const { device, dimensions } = unwrap(await remote.load(config));
      return new WorkerEmbedder(`local:${config.model}`, dimensions, device, worker, remote);
    } catch (error) {
      remote[releaseProxy]();
      worker.terminate();
      throw error instanceof AppError ? error : new AppError('MODEL_LOAD_FAILED', { detail: error instanceof Error ? error.message : 'worker failed', cause: error });
    }
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw new AppError('EMBEDDER_CANCELLED');
    if (texts.length === 0) return [];
    const callId = this.nextCall++;
    const onAbort = (): void => void this.remote.cancel(callId);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return unwrap(await this.remote.embed(callId, [...texts], proxy((p: { done: number; total: number }) => onProgress?.(p))));
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  dispose(): void {
    this.remote[releaseProxy]();
    this.worker.terminate();
  }
}
