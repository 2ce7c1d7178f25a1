/**
 * The page's semantic memory: builds the embedder the person chose, keeps the in-memory matrix of its vectors,
 * registers the vector ResultSource with search, fills missing vectors in the background (again after every
 * import, and from scratch for a new model), and keeps topics current. Framework-free: the UI subscribes.
 *
 *   new SemanticService(deps: SemanticServiceDeps)
 *   service.start(): Promise<void>                         // reads the saved choice and starts
 *   service.applySettings(settings): Promise<void>         // saves, then switches model (re-embeds in the background)
 *   service.pause() / service.resume()
 *   service.moreLikeThis(nodeId, limit): Promise<RankedHit[]>
 *   service.rebuildTopics(): Promise<void>
 *   service.subscribe(listener: (status: SemanticStatus) => void): () => void
 */
import type { Embedder } from '../../../shared/embed/embedder';
import type { Random } from '../../../shared/embed/random';
import { AppError, toAppError, type AppErrorData } from '../../../shared/errors';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import type { RankedHit, ResultSource } from '../search/types';
import { buildTopics, refreshTopics, type Clusterer } from '../topics/topics';
import { storedNodeCount } from '../vault/conversations';
import { subscribeLive } from '../vault/live';
import { VectorMatrix } from '../vectors/vector-matrix';
import { VectorResultSource } from '../vectors/vector-source';
import { writeSyncedSetting } from '../vault/synced-settings';
import { loadEmbedderSettings, OFF, saveEmbedderSettings, type EmbedderSettings, type LocalSettings } from './embedder-settings';
import { runEmbeddingJob, type EmbeddingJobProgress } from './embedding-job';
import { RemoteEmbedder } from './remote-embedder';

export type SemanticPhase = 'off' | 'starting' | 'embedding' | 'ready' | 'paused' | 'error';

export interface SemanticStatus {
  readonly phase: SemanticPhase;
  /** The saved choice; null until it has been read (a form must not show or save a default before then). */
  readonly settings: EmbedderSettings | null;
  readonly modelId: string | null;
  readonly dim: number | null;
  /** 'remote', or where the local model runs ('webgpu', 'wasm'). */
  readonly device: string | null;
  /** Vectors of the current model in memory. */
  readonly vectors: number;
  readonly progress: EmbeddingJobProgress | null;
  readonly error: AppErrorData | null;
  /** The last search whose query could not be embedded (keyword results were still shown); cleared by the next success. */
  readonly queryError: AppErrorData | null;
  /** Bumped whenever topics were rebuilt or updated. */
  readonly topicsVersion: number;
}

export interface SemanticServiceDeps {
  readonly db: VaultDatabase;
  readonly register: (source: ResultSource) => Promise<() => void>;
  /** Starts the on-device model (WorkerEmbedder.start in the app). */
  readonly startLocal: (settings: LocalSettings) => Promise<Embedder & { readonly device?: string; dispose?(): void }>;
  readonly random: Random;
  readonly now: () => number;
  /** How topics are clustered (a worker in the app; in this thread when absent). */
  readonly cluster?: Clusterer;
  /** Used when nothing was saved yet (e.g. the dev server's local stand-in). */
  readonly fallback?: EmbedderSettings;
  /** Wait after an import before embedding its nodes (lets a multi-file import finish). */
  readonly importDebounceMs?: number;
}

/** How long a search waits for a remote service to embed its query before showing results without it. */
export const QUERY_DEADLINE_MS = 2_000;
/** How long saving a remote service waits for its first answer before saying it cannot be reached. */
const VERIFY_DEADLINE_MS = 10_000;

type Disposable = Embedder & { readonly device?: string; dispose?(): void };

export class SemanticService {
  private status: SemanticStatus;
  private readonly listeners = new Set<(status: SemanticStatus) => void>();
  private embedder: Disposable | null = null;
  private matrix: VectorMatrix | null = null;
  private source: VectorResultSource | null = null;
  private unregister: (() => void) | null = null;
  private job: AbortController | null = null;
  /** The on-device model started to answer for an unreachable remote service (see substituteFor). */
  private substitute: Disposable | null = null;
  private stopWatching: (() => void) | null = null;
  private debounce: ReturnType<typeof setTimeout> | null = null;
  /** Increments on every reconfiguration so late results of an old model are ignored. */
  private generation = 0;

  constructor(private readonly deps: SemanticServiceDeps) {
    this.status = { phase: 'off', settings: null, modelId: null, dim: null, device: null, vectors: 0, progress: null, error: null, queryError: null, topicsVersion: 0 };
  }

  get current(): SemanticStatus {
    return this.status;
  }

  subscribe(listener: (status: SemanticStatus) => void): () => void {
    this.listeners.add(listener);
    listener(this.status);
    return () => this.listeners.delete(listener);
  }

  private set(patch: Partial<SemanticStatus>): void {
    this.status = { ...this.status, ...patch };
    for (const l of this.listeners) l(this.status);
  }

  async start(): Promise<void> {
    const settings = await loadEmbedderSettings(this.deps.db, this.deps.fallback ?? OFF);
    await this.configure(settings);
  }

  /** Remembers the last on-device choice (lastLocal) so its vectors can stand in while a remote service is down. */
  async applySettings(settings: EmbedderSettings): Promise<void> {
    const previous = this.status.settings;
    const lastLocal = previous?.choice.kind === 'local' ? previous.choice : (previous?.lastLocal ?? settings.lastLocal);
    const saved: EmbedderSettings = settings.choice.kind !== 'local' && lastLocal ? { ...settings, lastLocal } : { version: settings.version, choice: settings.choice };
    await saveEmbedderSettings(this.deps.db, saved);
    // Starting the new choice shows at once ("Starting…"); meanwhile the service (never its key) is written for the
    // person's other devices, which offer to use the same one (C51).
    const configured = this.configure(saved, { verify: true });
    const shared = saved.choice.kind === 'remote' ? writeSyncedSetting(this.deps.db, 'embedder', { baseUrl: saved.choice.baseUrl, model: saved.choice.model, dimensions: saved.choice.dimensions }) : Promise.resolve();
    await Promise.all([configured, shared]);
  }

  pause(): void {
    this.job?.abort();
  }

  resume(): void {
    if (this.embedder && this.matrix) void this.embedAll();
  }

  async moreLikeThis(nodeId: string, limit: number): Promise<RankedHit[]> {
    return this.source ? this.source.moreLikeThis(nodeId, limit) : [];
  }

  async rebuildTopics(): Promise<void> {
    if (!this.matrix || this.matrix.size === 0) return;
    await buildTopics(this.deps.db, this.matrix, this.deps);
    this.set({ topicsVersion: this.status.topicsVersion + 1 });
  }

  dispose(): void {
    this.teardown();
    this.listeners.clear();
  }

  private teardown(): void {
    this.generation += 1;
    this.job?.abort();
    this.job = null;
    this.unregister?.();
    this.unregister = null;
    this.stopWatching?.();
    this.stopWatching = null;
    if (this.debounce) clearTimeout(this.debounce);
    this.embedder?.dispose?.();
    this.embedder = null;
    this.substitute?.dispose?.();
    this.substitute = null;
    this.matrix = null;
    this.source = null;
  }

  /** `verify`: the person just chose this service, so check it answers before calling anything "up to date". */
  private async configure(settings: EmbedderSettings, options: { verify?: boolean } = {}): Promise<void> {
    this.teardown();
    const generation = this.generation;
    this.set({ settings, phase: settings.choice.kind === 'off' ? 'off' : 'starting', modelId: null, dim: null, device: null, vectors: 0, progress: null, error: null, queryError: null });
    if (settings.choice.kind === 'off') return;
    try {
      const choice = settings.choice;
      const embedder: Disposable =
        choice.kind === 'remote'
          ? new RemoteEmbedder({
              baseUrl: choice.baseUrl,
              model: choice.model,
              apiKey: choice.apiKey,
              ...(choice.dimensions !== null ? { dimensions: choice.dimensions } : {}),
              batchSize: choice.batchSize,
              concurrency: choice.concurrency,
            })
          : await this.deps.startLocal(choice);
      if (generation !== this.generation) {
        embedder.dispose?.();
        return;
      }
      this.embedder = embedder;
      const dim = await this.dimensionOf(embedder);
      const matrix = await VectorMatrix.load(this.deps.db, embedder.modelId, dim);
      if (generation !== this.generation) return;
      this.matrix = matrix;
      this.source = new VectorResultSource(
        matrix,
        embedder,
        this.deps.db,
        (error) => {
          if (generation === this.generation && (error !== null || this.status.queryError !== null)) this.set({ queryError: error?.toData() ?? null });
        },
        // A remote service that does not answer a query quickly is treated as unreachable for that search.
        choice.kind === 'remote' ? QUERY_DEADLINE_MS : undefined,
        choice.kind === 'remote' && settings.lastLocal ? this.substituteFor(settings.lastLocal, generation) : undefined,
      );
      this.unregister = await this.deps.register(this.source);
      this.set({ modelId: embedder.modelId, dim, device: embedder.device ?? 'remote', vectors: matrix.size });
      if (options.verify && choice.kind === 'remote') await this.checkAnswers(embedder);
      if (generation !== this.generation) return;
      this.watchImports(generation);
      await this.embedAll();
    } catch (error) {
      if (generation === this.generation) this.set({ phase: 'error', error: toAppError(error, 'EMBEDDER_UNAVAILABLE').toData() });
    }
  }

  /**
   * The on-device model the person used before, over its own stored vectors, started on the first search that
   * needs it (once per configuration). Null when it left no vectors or its model files cannot load.
   */
  private substituteFor(local: LocalSettings, generation: number): () => Promise<VectorResultSource | null> {
    let started: Promise<VectorResultSource | null> | null = null;
    const start = async (): Promise<VectorResultSource | null> => {
      // Only stored vectors make it useful; checking first avoids loading a model for nothing.
      const stored = await withStorageErrors(() => this.deps.db.vectors.where('modelId').equals(`local:${local.model}`).last());
      if (!stored) return null;
      const embedder = await this.deps.startLocal(local);
      if (generation !== this.generation || embedder.modelId !== stored.modelId) {
        embedder.dispose?.();
        return null;
      }
      this.substitute = embedder;
      const matrix = await VectorMatrix.load(this.deps.db, embedder.modelId, embedder.dimensions ?? stored.dim);
      return matrix.size > 0 ? new VectorResultSource(matrix, embedder, this.deps.db) : null;
    };
    return () => (started ??= start().catch(() => null));
  }

  /**
   * One small request with a deadline: a wrong URL or key, or a service that is down, fails here as an error the
   * person sees next to the settings, instead of a status that says "up to date" because nothing was left to embed.
   */
  private async checkAnswers(embedder: Embedder): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), VERIFY_DEADLINE_MS);
    try {
      await embedder.embed(['connection check'], { signal: controller.signal });
    } catch (error) {
      throw controller.signal.aborted
        ? new AppError('EMBEDDER_UNAVAILABLE', { detail: `no answer within ${VERIFY_DEADLINE_MS} ms`, cause: error })
        : toAppError(error, 'EMBEDDER_UNAVAILABLE');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The vector size: known, or from vectors already stored for this model (works offline), or asked once. */
  private async dimensionOf(embedder: Embedder): Promise<number> {
    if (embedder.dimensions !== null) return embedder.dimensions;
    const stored = await withStorageErrors(() => this.deps.db.vectors.where('modelId').equals(embedder.modelId).last());
    if (stored) return stored.dim;
    const [probe] = await embedder.embed(['dimension probe']);
    if (!probe) throw new AppError('EMBEDDER_BAD_RESPONSE', { detail: 'no vector for the dimension probe' });
    return probe.length;
  }

  /** New nodes (an import, another tab) start a background run once the writes settle. */
  private watchImports(generation: number): void {
    this.stopWatching = subscribeLive(
      () => storedNodeCount(this.deps.db),
      (count) => {
        if (generation !== this.generation || !this.matrix || count <= this.matrix.size || this.job) return;
        if (this.status.phase === 'paused') return;
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.embedAll(), this.deps.importDebounceMs ?? 1500);
      },
    );
  }

  private async embedAll(): Promise<void> {
    const embedder = this.embedder;
    const matrix = this.matrix;
    if (!embedder || !matrix || this.job) return;
    const generation = this.generation;
    const controller = new AbortController();
    this.job = controller;
    this.set({ phase: 'embedding', error: null });
    let embedded = 0;
    const run = async (): Promise<void> => {
      ({ embedded } = await runEmbeddingJob({
        db: this.deps.db,
        embedder,
        signal: controller.signal,
        now: this.deps.now,
        parallelChunks: embedder instanceof RemoteEmbedder ? 8 : 1,
        onProgress: (progress) => {
          if (generation === this.generation) this.set({ progress });
        },
        matrix,
        onBlock: () => {
          if (generation === this.generation) this.set({ vectors: matrix.size });
        },
      }));
    };
    try {
      // One tab embeds at a time; another tab waits, then finds nothing missing.
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      if (locks) await locks.request('cogzy-embedding-job', run);
      else await run();
      if (generation !== this.generation) return;
      await refreshTopics(this.deps.db, matrix, this.deps);
      this.set({ phase: 'ready', topicsVersion: this.status.topicsVersion + 1, vectors: matrix.size });
      // Nodes that arrived while this run was going: one more run picks them up.
      if (embedded > 0 && (await withStorageErrors(() => storedNodeCount(this.deps.db))) > matrix.size) {
        this.debounce = setTimeout(() => void this.embedAll(), this.deps.importDebounceMs ?? 1500);
      }
    } catch (error) {
      if (generation !== this.generation) return;
      const appError = toAppError(error, 'EMBEDDER_UNAVAILABLE');
      this.set(appError.code === 'EMBEDDER_CANCELLED' ? { phase: 'paused' } : { phase: 'error', error: appError.toData() });
    } finally {
      if (this.job === controller) this.job = null;
    }
  }
}
