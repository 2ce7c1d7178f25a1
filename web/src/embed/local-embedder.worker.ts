/**
 * Module Web Worker that hosts the on-device model, so tokenising and inference never block the page. A thin shell:
 * picks the device (WebGPU when an adapter exists, else WASM), then hands calls to TransformersEmbedder.
 * onnxruntime-web's wasm files are served by the app itself (bundled by vite), never fetched from a CDN.
 */
import { expose, type ProxyMarked, transfer } from 'comlink';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import type { EmbedProgress } from '../../../shared/embed/embedder';
import { AppError, toAppError, type AppErrorData } from '../../../shared/errors';
import { TransformersEmbedder, type LocalDevice } from './transformers-embedder';

export interface LocalWorkerConfig {
  readonly model: string;
  readonly allowRemoteModels: boolean;
  /** e.g. '/models/' when model files are served by the app (tests). */
  readonly localModelPath?: string;
  /** Force a device instead of the startup check. */
  readonly device?: LocalDevice;
}

export type LocalWorkerResult<T> = { ok: true; value: T } | { ok: false; error: AppErrorData };

interface GpuNavigator {
  readonly gpu?: { requestAdapter(): Promise<unknown> };
}

async function pickDevice(): Promise<LocalDevice> {
  const gpu = (navigator as unknown as GpuNavigator).gpu;
  if (!gpu) return 'wasm';
  try {
    return (await gpu.requestAdapter()) ? 'webgpu' : 'wasm';
  } catch {
    return 'wasm';
  }
}

let embedder: TransformersEmbedder | null = null;
const running = new Map<number, AbortController>();

const fail = (error: unknown): { ok: false; error: AppErrorData } => ({ ok: false, error: toAppError(error, 'MODEL_LOAD_FAILED').toData() });

const api = {
  async load(config: LocalWorkerConfig): Promise<LocalWorkerResult<{ device: LocalDevice; dimensions: number }>> {
    try {
      const device = config.device ?? (await pickDevice());
      embedder = new TransformersEmbedder({
        model: config.model,
        device,
        allowRemoteModels: config.allowRemoteModels,
        ...(config.localModelPath !== undefined ? { localModelPath: config.localModelPath } : {}),
        wasmPaths: { wasm: new URL(ortWasmUrl, self.location.href).href, mjs: new URL(ortMjsUrl, self.location.href).href },
      });
      // One tiny inference loads the model and tells the vector size.
      const [probe] = await embedder.embed(['dimension probe']);
      return { ok: true, value: { device, dimensions: probe?.length ?? 0 } };
    } catch (error) {
      return fail(error);
    }
  },

  async embed(callId: number, texts: string[], onProgress: ((p: EmbedProgress) => void) & ProxyMarked): Promise<LocalWorkerResult<Float32Array[]>> {
    if (!embedder) return fail(new AppError('MODEL_LOAD_FAILED', { detail: 'embed before load' }));
    const controller = new AbortController();
    running.set(callId, controller);
    try {
      const vectors = await embedder.embed(texts, { signal: controller.signal, onProgress: (p) => void onProgress(p) });
      return transfer({ ok: true, value: vectors }, vectors.map((v) => v.buffer as ArrayBuffer));
    } catch (error) {
      return fail(error);
    } finally {
      running.delete(callId);
    }
  },

  cancel(callId: number): void {
    running.get(callId)?.abort();
  },
};

export type LocalWorkerApi = typeof api;
expose(api);
