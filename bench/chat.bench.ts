/**
 * `npm run bench -- chat`: the two figures of ask-memory (issue 12), each against a baseline measured in the same run.
 *
 * 1. Time to first token through the Worker (`wrangler dev`: session check, metering in D1, then the upstream
 *    stream relayed) against calling the same OpenAI-compatible stand-in directly, BENCH_CHAT_SAMPLES times each
 *    (default 40), alternating, after a warm-up. Prints p50/p95 and the ratio of the medians.
 * 2. Context retrieval at BENCH_NODES (default 100k) exchanges: `retrieveContext` (search, loading the hits,
 *    memories, the token budget) against the keyword search it starts with, over natural questions. It runs in node
 *    on fake-indexeddb (the browser figures for search itself are in `npm run bench -- search`), so read the ratio
 *    more than the absolute time.
 */
import 'fake-indexeddb/auto';
import { performance } from 'node:perf_hooks';
import { SseSplitter, parseChatEvent } from '../shared/chat/sse';
import { seededRandom } from '../shared/embed/random';
import { openVaultDatabase } from '../web/src/db/database';
import { commitImportBatch, createImportRow, loadKnownIds } from '../web/src/db/import-writes';
import { compactSearchIndex } from '../web/src/search/keyword-index';
import { openVault } from '../web/src/vault/vault';
import { retrieveContext } from '../web/src/chat/ask';
import { startLocalS3 } from '../tests/support/s3-server';
import { openSession, startLocalWorker } from '../tests/support/sync-client';
import { startOpenAiServer } from '../tests/support/openai-server';
import { Corpus, importItems } from './search-page/corpus';

const SAMPLES = Number(process.env['BENCH_CHAT_SAMPLES'] ?? 40);
const NODES = Number(process.env['BENCH_NODES'] ?? 100_000);
const QUESTIONS = Number(process.env['BENCH_QUESTIONS'] ?? 200);

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
const ms = (n: number): string => `${n.toFixed(1)} ms`;

/** Milliseconds from sending the request to the first streamed text. */
async function timeToFirstToken(url: string, headers: Record<string, string>, body: unknown): Promise<number> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const splitter = new SseSplitter();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${url}: the stream ended without text`);
      for (const data of splitter.push(value)) if (parseChatEvent(data).kind === 'delta') return performance.now() - started;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function ttft(): Promise<void> {
  const model = await startOpenAiServer({ apiKey: 'sk-bench' });
  const s3 = await startLocalS3('cogzy-chat-bench');
  const worker = await startLocalWorker({ ...s3.env, CHAT_API_BASE: `${model.url}/v1`, CHAT_API_KEY: 'sk-bench', CHAT_MODEL: 'stand-in-chat' });
  try {
    const messages = [{ role: 'user', content: 'What did I decide about the database for the side project?' }];
    // A free account may send 20 messages a day: one account per 20 samples (plus the warm-up).
    const tokens: string[] = [];
    for (let i = 0; i < Math.ceil((SAMPLES + 2) / 20); i++) tokens.push(await openSession(worker.url, 'signup', `bench-${Date.now()}-${i}@example.com`, 'correct horse battery staple'));
    const direct = (): Promise<number> => timeToFirstToken(`${model.url}/v1/chat/completions`, { authorization: 'Bearer sk-bench' }, { model: 'stand-in-chat', messages, stream: true });
    let sent = 0;
    const viaWorker = (): Promise<number> => {
      const token = tokens[Math.floor(sent++ / 20)] ?? '';
      return timeToFirstToken(`${worker.url}/api/chat`, { authorization: `Bearer ${token}` }, { messages });
    };
    await direct();
    await viaWorker();
    await direct();
    await viaWorker();
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      a.push(await direct());
      b.push(await viaWorker());
    }
    console.log(`time to first token, ${SAMPLES} samples each (local stand-in model, wrangler dev + local D1):`);
    console.log(`  direct to the model     p50 ${ms(quantile(a, 0.5))}  p95 ${ms(quantile(a, 0.95))}`);
    console.log(`  through the Worker      p50 ${ms(quantile(b, 0.5))}  p95 ${ms(quantile(b, 0.95))}`);
    console.log(`  Worker overhead p50 +${ms(quantile(b, 0.5) - quantile(a, 0.5))}; ratio of medians ${(quantile(b, 0.5) / quantile(a, 0.5)).toFixed(2)}×`);
  } finally {
    await worker.close();
    await s3.close();
    await model.close();
  }
}

async function retrieval(): Promise<void> {
  const corpus = new Corpus(42);
  const name = `cogzy-chat-bench-${Date.now()}`;
  const db = await openVaultDatabase({ name, cache: 'disabled' });
  const importId = await createImportRow(db, { fileName: 'bench.json', status: 'processing', bytes: 0, fileKey: 'bench', now: Date.now() });
  const known = await loadKnownIds(db);
  const ingestStarted = performance.now();
  for (let from = 0; from < NODES; from += 2_000) {
    const items = importItems(corpus, from, Math.min(NODES, from + 2_000));
    const batch = { items, progress: { bytesRead: 0, totalBytes: null, records: 0, conversations: 0, nodes: 0, duplicates: 0 }, checkpoint: { records: 0 } };
    await commitImportBatch(db, importId, batch, { parseMs: 0, now: Date.now() }, known);
  }
  await compactSearchIndex(db);
  db.close();
  console.log(`\nretrieval at ${NODES.toLocaleString('en')} exchanges (node + fake-indexeddb; ingest took ${((performance.now() - ingestStarted) / 1000).toFixed(1)} s):`);

  const vault = await openVault({ name });
  try {
    const rng = seededRandom(7);
    const questions = Array.from({ length: QUESTIONS }, () => {
      const source = corpus.exchange(Math.floor(rng() * NODES));
      const words = source.assistant.toLowerCase().replace(/[.,]/g, '').split(' ').filter((w) => w.length > 3);
      const pick = (): string => words[Math.floor(rng() * words.length)] ?? 'memory';
      return `What did I say about ${pick()} and ${pick()} last time?`;
    });
    // Warm-up: the first queries load the index's hot rows.
    for (const q of questions.slice(0, 10)) await retrieveContext(vault, q, [], new Set());
    const searchOnly: number[] = [];
    const full: number[] = [];
    let excerpts = 0;
    for (const q of questions) {
      let t = performance.now();
      await vault.search.search(q, { mode: 'keyword', limit: 16 });
      searchOnly.push(performance.now() - t);
      t = performance.now();
      const items = await retrieveContext(vault, q, [], new Set());
      full.push(performance.now() - t);
      excerpts += items.filter((item) => item.kind === 'excerpt').length;
    }
    console.log(`  keyword search (top 16)   p50 ${ms(quantile(searchOnly, 0.5))}  p95 ${ms(quantile(searchOnly, 0.95))}`);
    console.log(`  retrieveContext           p50 ${ms(quantile(full, 0.5))}  p95 ${ms(quantile(full, 0.95))}  (${(excerpts / QUESTIONS).toFixed(1)} excerpts a question)`);
    console.log(`  context over search: ratio of medians ${(quantile(full, 0.5) / quantile(searchOnly, 0.5)).toFixed(2)}×`);
  } finally {
    vault.close();
  }
}

await ttft();
await retrieval();
