/**
 * Retrieval quality on the labelled set (quality-corpus.ts): imports the generated export through the real
 * import pipeline (fake-indexeddb: the caller loads `fake-indexeddb/auto`), then asks every question in keyword,
 * semantic and hybrid mode and with a plain BM25 reference, and scores recall@1/5/10 and MRR.
 *
 * The reference is textbook BM25 (k1 1.2, b 0.75) over each exchange as one document (the person's turn and the
 * reply), with the app's tokenizer, every query word, no stopwords and no stemming.
 *
 * Semantic mode uses the local stand-in embeddings API (tests/support/openai-server.ts), whose vectors hash words:
 * they know nothing of meaning, so the semantic and hybrid figures say whether fusion is safe, not whether a real
 * model would help (none can be loaded here).
 *
 *   runQualityHarness(options?): Promise<QualityReport>
 */
import Dexie from 'dexie';
import { importExport } from '../../shared/import';
import { openVaultDatabase, type VaultDatabase } from '../../web/src/db/database';
import { runEmbeddingJob } from '../../web/src/embed/embedding-job';
import { RemoteEmbedder } from '../../web/src/embed/remote-embedder';
import { runImportPipeline, type ImportFileInput } from '../../web/src/import/pipeline';
import { SearchService, type SearchMode } from '../../web/src/search/search';
import { terms } from '../../web/src/search/tokenize';
import { VectorMatrix } from '../../web/src/vectors/vector-matrix';
import { VectorResultSource } from '../../web/src/vectors/vector-source';
import { startOpenAiServer } from './openai-server';
import { qualityCorpus, type QualityQuestion } from './quality-corpus';

export interface Scores {
  readonly recall1: number;
  readonly recall5: number;
  readonly recall10: number;
  /** Mean reciprocal rank of the answer within the top 10 (0 when not there). */
  readonly mrr: number;
  /** Questions that returned nothing at all. */
  readonly empty: number;
}

export type Method = 'reference' | SearchMode;

export interface QualityReport {
  readonly questions: number;
  readonly exchanges: number;
  readonly scores: Record<Method, Scores>;
  /** Per phrasing kind (direct, choice, paraphrase), per method. */
  readonly byKind: Record<QualityQuestion['kind'], Record<Method, Scores>>;
}

const DEPTH = 10;
const DIMENSIONS = 384;

function file(text: string): ImportFileInput {
  const bytes = new TextEncoder().encode(text);
  return {
    name: 'quality-conversations.json',
    size: bytes.length,
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
  };
}

/** Plain BM25 over whole exchanges, kept here and independent of the app's index. */
class ReferenceBm25 {
  private readonly postings = new Map<string, Map<number, number>>();
  private readonly lengths: number[] = [];
  private readonly average: number;

  constructor(private readonly ids: readonly string[], texts: readonly string[]) {
    texts.forEach((text, doc) => {
      const words = terms(text);
      this.lengths.push(words.length);
      for (const word of words) {
        let list = this.postings.get(word);
        if (!list) this.postings.set(word, (list = new Map<number, number>()));
        list.set(doc, (list.get(doc) ?? 0) + 1);
      }
    });
    this.average = this.lengths.reduce((a, b) => a + b, 0) / Math.max(1, this.lengths.length);
  }

  search(query: string, limit: number): string[] {
    const n = this.lengths.length;
    const scores = new Map<number, number>();
    for (const word of new Set(terms(query))) {
      const list = this.postings.get(word);
      if (!list) continue;
      const idf = Math.log(1 + (n - list.size + 0.5) / (list.size + 0.5));
      for (const [doc, tf] of list) {
        const norm = tf + 1.2 * (1 - 0.75 + (0.75 * (this.lengths[doc] ?? 0)) / this.average);
        scores.set(doc, (scores.get(doc) ?? 0) + (idf * tf * 2.2) / norm);
      }
    }
    return [...scores]
      .sort((x, y) => y[1] - x[1] || x[0] - y[0])
      .slice(0, limit)
      .map(([doc]) => this.ids[doc] ?? '');
  }
}

function score(ranks: readonly (number | null)[], empties: number): Scores {
  const n = Math.max(1, ranks.length);
  const within = (k: number): number => ranks.filter((r) => r !== null && r <= k).length / n;
  return { recall1: within(1), recall5: within(5), recall10: within(10), mrr: ranks.reduce<number>((sum, r) => sum + (r === null ? 0 : 1 / r), 0) / n, empty: empties };
}

export async function runQualityHarness(options: { seed?: number; databaseName?: string } = {}): Promise<QualityReport> {
  const corpus = qualityCorpus(options.seed);
  const name = options.databaseName ?? `quality-${process.pid}-${Date.now()}`;
  const db: VaultDatabase = await openVaultDatabase({ name });
  const server = await startOpenAiServer();
  try {
    await runImportPipeline(db, [file(corpus.json)], { importer: importExport });
    const conversations = await db.conversations.toArray();
    const providerIds = new Map(conversations.map((c) => [c.id, c.providerConversationId]));
    const nodes = (await db.nodes.all()).filter((node) => node.active);
    const answerOf = new Map(nodes.map((node) => [`${providerIds.get(node.conversationId) ?? ''}#${node.ordinal}`, node.id]));
    const reference = new ReferenceBm25(
      nodes.map((node) => node.id),
      nodes.map((node) => `${node.human.text}\n${node.assistant?.text ?? ''}`),
    );

    const embedder = new RemoteEmbedder({ baseUrl: server.url, model: 'stand-in-embed', dimensions: DIMENSIONS });
    await runEmbeddingJob({ db, embedder });
    const matrix = await VectorMatrix.load(db, embedder.modelId, DIMENSIONS);
    const search = new SearchService(db);
    search.registerSource(new VectorResultSource(matrix, embedder, db));

    const methods: Method[] = ['reference', 'keyword', 'semantic', 'hybrid'];
    const ranks = new Map<Method, { kind: QualityQuestion['kind']; rank: number | null; empty: boolean }[]>(methods.map((m) => [m, []]));
    for (const q of corpus.questions) {
      const answer = answerOf.get(`${q.conversation}#${q.ordinal}`);
      if (answer === undefined) throw new Error(`no exchange for ${q.conversation}#${q.ordinal}`);
      for (const method of methods) {
        const ids = method === 'reference' ? reference.search(q.question, DEPTH) : (await search.search(q.question, { mode: method, limit: DEPTH })).results.map((r) => r.nodeId);
        const at = ids.indexOf(answer);
        ranks.get(method)?.push({ kind: q.kind, rank: at < 0 ? null : at + 1, empty: ids.length === 0 });
      }
    }
    const summarise = (filter: (kind: QualityQuestion['kind']) => boolean): Record<Method, Scores> => {
      const out = {} as Record<Method, Scores>;
      for (const method of methods) {
        const rows = (ranks.get(method) ?? []).filter((row) => filter(row.kind));
        out[method] = score(
          rows.map((row) => row.rank),
          rows.filter((row) => row.empty).length,
        );
      }
      return out;
    };
    return {
      questions: corpus.questions.length,
      exchanges: nodes.length,
      scores: summarise(() => true),
      byKind: { direct: summarise((k) => k === 'direct'), choice: summarise((k) => k === 'choice'), paraphrase: summarise((k) => k === 'paraphrase') },
    };
  } finally {
    await server.close();
    db.close();
    await Dexie.delete(name);
  }
}

export function formatQualityReport(report: QualityReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);
  const line = (label: string, s: Scores): string => `${label.padEnd(22)}${pct(s.recall1)}${pct(s.recall5)}${pct(s.recall10)}${s.mrr.toFixed(3).padStart(8)}${String(s.empty).padStart(7)}`;
  const table = (title: string, scores: Record<Method, Scores>, count: number): string[] => [
    `${title} (${count} questions)`,
    `${''.padEnd(22)}${'R@1'.padStart(7)}${'R@5'.padStart(7)}${'R@10'.padStart(7)}${'MRR'.padStart(8)}${'empty'.padStart(7)}`,
    line('plain BM25 reference', scores.reference),
    line('keyword', scores.keyword),
    line('semantic (stand-in)', scores.semantic),
    line('hybrid (stand-in)', scores.hybrid),
  ];
  const perKind = report.questions / 3;
  return [
    `${report.exchanges} exchanges`,
    ...table('all', report.scores, report.questions),
    ...(['direct', 'choice', 'paraphrase'] as const).flatMap((kind) => ['', ...table(kind, report.byKind[kind], perKind)]),
    '',
    'The stand-in embeddings hash words and know nothing of meaning; no real embedding model can be loaded here,',
    'so semantic and hybrid figures show that fusion is safe, not what a real model would add.',
  ].join('\n');
}
