/**
 * The embedder boundary: anything that turns texts into vectors (a remote OpenAI-compatible service, a local
 * transformers.js model). Every implementation runs tests/unit/embedder.contract.ts.
 */
export interface EmbedProgress {
  /** Texts embedded so far in this call. */
  readonly done: number;
  readonly total: number;
}

export interface EmbedOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EmbedProgress) => void;
}

export interface Embedder {
  /**
   * Tags every vector this embedder makes. Two embedders with the same id must give comparable vectors:
   * search and clustering only ever compare vectors with the same id and dimension.
   */
  readonly modelId: string;
  /** Vector length; null until the first answer when the service picks it (remote without `dimensions`). */
  readonly dimensions: number | null;
  /** Longest input, in characters, the embedder accepts; longer texts are cut by shared/embed/text.ts first. */
  readonly maxInputChars: number;
  /** One L2-normalised vector per text, in order. Rejects with an AppError (EMBEDDER_*, MODEL_LOAD_FAILED). */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
}
