/**
 * The page's one SemanticService, wired to the page's vault and search, and a Solid signal of its status.
 *
 *   startSemantic(): Promise<SemanticService>   // idempotent; main.tsx calls it once at start-up
 *   semanticStatus(): SemanticStatus            // reactive
 */
import { createSignal } from 'solid-js';
import { defaultRemote, OFF, type EmbedderSettings } from '../../embed/embedder-settings';
import { SemanticService, type SemanticStatus } from '../../embed/semantic-service';
import { WorkerEmbedder } from '../../embed/worker-embedder';
import { workerClusterer } from '../../topics/worker-clusterer';
import { registerSemanticSource, vault } from '../data';
import { reportRequest } from '../online';

/** `npm start` points this at the local OpenAI-compatible stand-in, so semantic search works with no keys. */
function fallbackSettings(): EmbedderSettings {
  const url = import.meta.env['VITE_EMBEDDINGS_URL'] as string | undefined;
  if (!url) return OFF;
  return { version: 1, choice: { ...defaultRemote(url), model: (import.meta.env['VITE_EMBEDDINGS_MODEL'] as string | undefined) ?? 'stand-in-embed', dimensions: 256 } };
}

let service: Promise<SemanticService> | undefined;
const [status, setStatus] = createSignal<SemanticStatus | null>(null);
export const semanticStatus = status;

export function startSemantic(): Promise<SemanticService> {
  service ??= (async () => {
    const { db } = await vault();
    const created = new SemanticService({
      db,
      register: registerSemanticSource,
      startLocal: (s) => WorkerEmbedder.start({ model: s.model, allowRemoteModels: s.localModelPath === null, ...(s.localModelPath !== null ? { localModelPath: s.localModelPath } : {}) }),
      cluster: workerClusterer,
      random: Math.random,
      now: Date.now,
      fallback: fallbackSettings(),
    });
    let reported: unknown = null;
    created.subscribe((s) => {
      setStatus(s);
      // A service that cannot be reached may mean the whole device is offline: connectivity checks, once per failure.
      const failure = s.queryError?.code === 'EMBEDDER_UNAVAILABLE' ? s.queryError : s.error?.code === 'EMBEDDER_UNAVAILABLE' ? s.error : null;
      if (failure !== null && failure !== reported) reportRequest('network-error', 'other');
      reported = failure;
    });
    await created.start();
    return created;
  })().catch((error: unknown) => {
    // The vault could not open: the views explain that themselves; a later call tries again.
    service = undefined;
    throw error;
  });
  return service;
}
