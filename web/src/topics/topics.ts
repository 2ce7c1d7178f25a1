/**
 * Topics over the vault's vectors: spherical k-means (k = chooseK(n)), labels by distinctive terms (c-TF-IDF over a
 * sample of each topic's exchanges), and 2-D map positions. Persisted in the settings table as one versioned
 * record per vault, for the model it was computed with. After imports new nodes are assigned to the nearest topic
 * (cheap); once a quarter of the vault is new since the last full run, everything is clustered again.
 *
 *   loadTopics(db): Promise<TopicSet | null>
 *   buildTopics(db, matrix, options): Promise<TopicSet>
 *   refreshTopics(db, matrix, options): Promise<TopicSet | null>     // incremental assign or recluster, as needed
 *   topicConversations(db, set, topicId): Promise<TopicConversation[]>
 */
import { z } from 'zod';
import { chooseK, kmeans, nearestCentroid, type KMeansResult } from '../../../shared/embed/kmeans';
import { projectCentroids } from '../../../shared/embed/projection';
import type { Random } from '../../../shared/embed/random';
import { labelClusters } from '../../../shared/embed/topic-labels';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import type { VectorMatrix } from '../vectors/vector-matrix';

const TOPICS_SETTING_KEY = 'topics';
/** Share of the vault that may be new since the last full clustering before we cluster again. */
const RECLUSTER_GROWTH = 0.25;
const LABEL_SAMPLE_PER_TOPIC = 150;
const MIN_NODES_FOR_TOPICS = 6;

const topicSchema = z.object({
  id: z.number().int().nonnegative(),
  size: z.number().int().nonnegative(),
  terms: z.array(z.string()),
  x: z.number(),
  y: z.number(),
});
export type Topic = z.infer<typeof topicSchema>;

const topicSetSchema = z.object({
  version: z.literal(1),
  modelId: z.string(),
  dim: z.number().int().positive(),
  createdAt: z.number(),
  /** Nodes covered by the last full clustering (the base for RECLUSTER_GROWTH). */
  clusteredCount: z.number().int().nonnegative(),
  topics: z.array(topicSchema),
  centroids: z.instanceof(Float32Array),
  nodeIds: z.array(z.string()),
  assignments: z.instanceof(Int32Array),
});
export type TopicSet = z.infer<typeof topicSetSchema>;

/** Clusters packed normalised rows into k groups; the app runs it in a worker (worker-clusterer.ts). */
export type Clusterer = (rows: Float32Array, dim: number, k: number, random: Random) => Promise<KMeansResult>;

/** In this thread: the default when no worker clusterer is passed (unit tests). */
const inThreadClusterer: Clusterer = (rows, dim, k, random) => Promise.resolve(kmeans(rows, dim, { k, random }));

export interface TopicOptions {
  readonly random: Random;
  readonly now: () => number;
  readonly cluster?: Clusterer;
}

export async function loadTopics(db: VaultDatabase): Promise<TopicSet | null> {
  const row = await withStorageErrors(() => db.settings.get(TOPICS_SETTING_KEY));
  const parsed = topicSetSchema.safeParse(row?.value);
  return parsed.success ? parsed.data : null;
}

async function saveTopics(db: VaultDatabase, set: TopicSet): Promise<void> {
  await withStorageErrors(() => db.settings.put({ key: TOPICS_SETTING_KEY, value: set }));
}

/** Texts of a sample of each cluster's nodes, for labelling. */
async function sampleTexts(db: VaultDatabase, nodeIds: readonly string[], assignments: Int32Array, k: number): Promise<string[][]> {
  const picked: string[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < nodeIds.length; i += 1) {
    const bucket = picked[assignments[i]!];
    if (bucket && bucket.length < LABEL_SAMPLE_PER_TOPIC) bucket.push(nodeIds[i]!);
  }
  const nodes = await withStorageErrors(() => db.nodes.bulkGet(picked.flat()));
  const text = new Map(nodes.filter((n) => n !== undefined).map((n) => [n.id, `${n.human.text}\n${n.assistant?.text ?? ''}`]));
  return picked.map((ids) => ids.map((id) => text.get(id) ?? ''));
}

export async function buildTopics(db: VaultDatabase, matrix: VectorMatrix, options: TopicOptions): Promise<TopicSet> {
  const n = matrix.size;
  const nodeIds = Array.from({ length: n }, (_, row) => matrix.nodeIdAt(row));
  const k = n < MIN_NODES_FOR_TOPICS ? Math.min(1, n) : chooseK(n);
  const result = await (options.cluster ?? inThreadClusterer)(matrix.rows, matrix.dim, k, options.random);
  const labels = labelClusters(await sampleTexts(db, nodeIds, result.assignments, result.k));
  const points = projectCentroids(result.centroids, result.k, matrix.dim, result.sizes);
  const set: TopicSet = {
    version: 1,
    modelId: matrix.modelId,
    dim: matrix.dim,
    createdAt: options.now(),
    clusteredCount: n,
    topics: Array.from({ length: result.k }, (_, id) => ({ id, size: result.sizes[id] ?? 0, terms: [...(labels[id]?.terms ?? [])], x: points[id]?.x ?? 0, y: points[id]?.y ?? 0 })),
    centroids: result.centroids,
    nodeIds,
    assignments: result.assignments,
  };
  await saveTopics(db, set);
  return set;
}

/** Brings the stored topics up to date with the matrix: nothing, an incremental assignment, or a full recluster. */
export async function refreshTopics(db: VaultDatabase, matrix: VectorMatrix, options: TopicOptions): Promise<TopicSet | null> {
  if (matrix.size === 0) return null;
  const current = await loadTopics(db);
  if (!current || current.modelId !== matrix.modelId || current.dim !== matrix.dim) return buildTopics(db, matrix, options);
  const known = new Set(current.nodeIds);
  const fresh: string[] = [];
  for (let row = 0; row < matrix.size; row += 1) if (!known.has(matrix.nodeIdAt(row))) fresh.push(matrix.nodeIdAt(row));
  if (fresh.length === 0) return current;
  if (current.nodeIds.length + fresh.length > current.clusteredCount * (1 + RECLUSTER_GROWTH)) return buildTopics(db, matrix, options);
  const k = current.topics.length;
  const assignments = new Int32Array(current.assignments.length + fresh.length);
  assignments.set(current.assignments);
  const sizes = current.topics.map((t) => t.size);
  fresh.forEach((id, i) => {
    const v = matrix.vectorOf(id);
    if (!v) return;
    const { cluster } = nearestCentroid(current.centroids, k, v, 0, matrix.dim);
    assignments[current.assignments.length + i] = cluster;
    sizes[cluster] = (sizes[cluster] ?? 0) + 1;
  });
  const set: TopicSet = { ...current, nodeIds: [...current.nodeIds, ...fresh], assignments, topics: current.topics.map((t, i) => ({ ...t, size: sizes[i] ?? t.size })) };
  await saveTopics(db, set);
  return set;
}

export interface TopicConversation {
  readonly conversationId: string;
  readonly title: string;
  /** Exchanges of this conversation in the topic. */
  readonly count: number;
  readonly updatedAt: number | null;
}

/** The conversations of a topic, those with the most exchanges in it first. */
export async function topicConversations(db: VaultDatabase, set: TopicSet, topicId: number, limit = 100): Promise<TopicConversation[]> {
  const ids = set.nodeIds.filter((_, i) => set.assignments[i] === topicId);
  const nodes = await withStorageErrors(() => db.nodes.bulkGet(ids));
  const counts = new Map<string, number>();
  for (const node of nodes) if (node) counts.set(node.conversationId, (counts.get(node.conversationId) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
  const conversations = await withStorageErrors(() => db.conversations.bulkGet(top.map(([id]) => id)));
  return top.map(([conversationId, count], i) => ({
    conversationId,
    title: conversations[i]?.title ?? 'Untitled conversation',
    count,
    updatedAt: conversations[i]?.updatedAt ?? null,
  }));
}
