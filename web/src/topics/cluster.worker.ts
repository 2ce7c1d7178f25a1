/** Module Web Worker for k-means: a 100k-vector vault takes seconds to cluster, which must not freeze the page. */
import { expose, transfer } from 'comlink';
import { kmeans, type KMeansResult } from '../../../shared/embed/kmeans';
import { seededRandom } from '../../../shared/embed/random';

const api = {
  cluster(rows: Float32Array, dim: number, k: number, seed: number): KMeansResult {
    const result = kmeans(rows, dim, { k, random: seededRandom(seed) });
    return transfer(result, [result.centroids.buffer, result.assignments.buffer, result.sizes.buffer]);
  },
};

export type ClusterWorkerApi = typeof api;
expose(api);
