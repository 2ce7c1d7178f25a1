/**
 * Runs k-means in a short-lived module worker (the rows are copied over once). The seed comes from the caller's
 * injected randomness, so a seeded caller still gets reproducible topics.
 *
 *   workerClusterer: Clusterer
 */
import { transfer, wrap } from 'comlink';
import type { ClusterWorkerApi } from './cluster.worker';
import type { Clusterer } from './topics';

export const workerClusterer: Clusterer = async (rows, dim, k, random) => {
  const worker = new Worker(new URL('./cluster.worker.ts', import.meta.url), { type: 'module', name: 'cogzy-topics' });
  try {
    const copy = rows.slice();
    return await wrap<ClusterWorkerApi>(worker).cluster(transfer(copy, [copy.buffer]), dim, k, Math.floor(random() * 2 ** 32));
  } finally {
    worker.terminate();
  }
};
