/**
 * On-device embedder: a transformers.js feature-extraction pipeline with mean pooling and L2 normalisation.
 * It runs inside the local-embedder worker in the browser (WebGPU or WASM) and directly in node for tests (CPU).
 * The model is fetched once from the hub by a real browser and cached (transformers.js keeps it in Cache Storage);
 * tests point `localModelPath` at locally served files and turn remote models off.
 */
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { EmbedOptions, Embedder } from '../../../shared/embed/embedder';
import { AppError } from '../../../shared/errors';

/** A small sentence-embedding model (384 dims, ~23 MB quantised) that runs well on phones. */
export const DEFAULT_LOCAL_MODEL = 'Xenova/all-MiniLM-L6-v2';

export type LocalDevice = 'webgpu' | 'wasm' | 'cpu';

export interface LocalModelConfig {
  /** Hub id or folder name under `localModelPath`. */
  readonly model: string;
  readonly device: LocalDevice;
  /** 'q8' suits WASM/CPU (small download), 'fp32' or 'fp16' WebGPU. */
  readonly dtype?: 'q8' | 'fp32' | 'fp16';
  readonly allowRemoteModels: boolean;
  /** Where local model folders are served from (a path like '/models/' in the browser, a folder in node). */
  readonly localModelPath?: string;
  /** onnxruntime-web's .wasm and its .mjs loader, served by the app itself (never a CDN). */
  readonly wasmPaths?: { readonly wasm: string; readonly mjs: string };
  /** Texts per inference call: bigger batches pad to the longest text, so keep it modest. */
  readonly batchSize?: number;
}

/** Typical sentence models read 256-512 tokens; the tokenizer also truncates exactly at the model's window. */
const LOCAL_MAX_INPUT_CHARS = 2000;

export class TransformersEmbedder implements Embedder {
  readonly modelId: string;
  readonly maxInputChars = LOCAL_MAX_INPUT_CHARS;
  private dims: number | null = null;
  private extractor: Promise<FeatureExtractionPipeline> | null = null;

  constructor(private readonly config: LocalModelConfig) {
    // The device is not part of the id: WASM and WebGPU runs of one model give the same vectors to float tolerance.
    this.modelId = `local:${config.model}`;
  }

  get dimensions(): number | null {
    return this.dims;
  }

  /** Loads (downloading on first use) the model. Rejects with MODEL_LOAD_FAILED. */
  load(): Promise<FeatureExtractionPipeline> {
    this.extractor ??= this.open().catch((error: unknown) => {
      this.extractor = null;
      throw new AppError('MODEL_LOAD_FAILED', { detail: error instanceof Error ? error.message : String(error), cause: error });
    });
    return this.extractor;
  }

  private async open(): Promise<FeatureExtractionPipeline> {
    env.allowRemoteModels = this.config.allowRemoteModels;
    env.allowLocalModels = this.config.localModelPath !== undefined;
    if (this.config.localModelPath !== undefined) env.localModelPath = this.config.localModelPath;
    const wasm = env.backends.onnx.wasm;
    if (this.config.wasmPaths !== undefined && wasm) wasm.wasmPaths = { ...this.config.wasmPaths };
    const dtype = this.config.dtype ?? (this.config.device === 'webgpu' ? 'fp32' : 'q8');
    const extractor = await pipeline('feature-extraction', this.config.model, { device: this.config.device, dtype });
    return extractor;
  }

  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw new AppError('EMBEDDER_CANCELLED');
    if (texts.length === 0) return [];
    const extractor = await this.load();
    const batchSize = this.config.batchSize ?? 16;
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      // Inference cannot be interrupted midway; cancelling takes effect between batches.
      if (signal?.aborted) throw new AppError('EMBEDDER_CANCELLED');
      const batch = texts.slice(start, start + batchSize).map((t) => t.slice(0, this.maxInputChars));
      let data: Float32Array;
      let dim: number;
      try {
        const tensor = await extractor(batch, { pooling: 'mean', normalize: true });
        dim = tensor.dims[tensor.dims.length - 1] ?? 0;
        data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data as ArrayLike<number>);
      } catch (error) {
        throw new AppError('MODEL_LOAD_FAILED', { detail: `inference failed: ${error instanceof Error ? error.message : String(error)}`, cause: error });
      }
      this.dims = dim;
      for (let i = 0; i < batch.length; i += 1) out.push(data.slice(i * dim, (i + 1) * dim));
      onProgress?.({ done: out.length, total: texts.length });
    }
    return out;
  }
}
