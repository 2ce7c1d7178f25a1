/**
 * Remote embedder pool throughput against the local OpenAI-compatible stand-in with 50 ms latency per request,
 * as a ratio of the theoretical limit (concurrency x batch / latency). The server runs in its own process (the
 * `npm start` wrapper, tests/tools/openai-server.ts) so client and server do not share one event loop.
 * Target: ratio >= 0.8.
 *
 * Run: npm run bench -- embed-pool
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { seededRandom } from '../shared/embed/random';
import { RemoteEmbedder } from '../web/src/embed/remote-embedder';

const root = resolve(import.meta.dirname, '..');
const LATENCY_MS = 50;
const DIMENSIONS = 64;

async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [resolve(root, 'node_modules/tsx/dist/cli.mjs'), resolve(root, 'tests/tools/openai-server.ts'), '--latency', String(LATENCY_MS), '--dimensions', String(DIMENSIONS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const match = /^READY (\S+)/.exec(line);
    if (match?.[1]) {
      return {
        url: match[1],
        stop: async () => {
          child.kill('SIGTERM');
          await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('the stand-in server did not start');
}

interface Case {
  readonly concurrency: number;
  readonly batch: number;
}

async function measure(url: string, c: Case): Promise<{ textsPerSecond: number; limit: number; ratio: number; texts: number }> {
  const limit = (c.concurrency * c.batch) / (LATENCY_MS / 1000);
  // About 3 s of work at the theoretical rate, and at least 20 rounds of requests.
  const texts = Math.max(c.concurrency * c.batch * 20, Math.round(limit * 3));
  const inputs = Array.from({ length: texts }, (_, i) => `exchange ${i} about topic ${i % 97} with words ${i % 13} and ${i % 31}`);
  const embedder = new RemoteEmbedder({ baseUrl: url, model: 'stand-in-embed', dimensions: DIMENSIONS, batchSize: c.batch, concurrency: c.concurrency }, { random: seededRandom(1) });
  await embedder.embed(inputs.slice(0, c.concurrency * c.batch)); // warm up connections
  const started = performance.now();
  const vectors = await embedder.embed(inputs);
  const seconds = (performance.now() - started) / 1000;
  if (vectors.length !== texts) throw new Error('lost vectors');
  const textsPerSecond = texts / seconds;
  return { textsPerSecond, limit, ratio: textsPerSecond / limit, texts };
}

/** The same lanes doing nothing but waiting 50 ms per "request": what timers alone reach on this machine right now. */
async function timerFloor(c: Case): Promise<number> {
  const rounds = 20;
  const started = performance.now();
  await Promise.all(Array.from({ length: c.concurrency }, async () => {
    for (let r = 0; r < rounds; r += 1) await new Promise((ok) => setTimeout(ok, LATENCY_MS));
  }));
  const seconds = (performance.now() - started) / 1000;
  return (rounds * LATENCY_MS) / 1000 / seconds;
}

const server = await startServer();
try {
  console.log(`remote pool vs local stand-in, ${LATENCY_MS} ms per request, ${DIMENSIONS}-d vectors, server in its own process`);
  for (const c of [
    { concurrency: 8, batch: 8 },
    { concurrency: 4, batch: 64 },
    { concurrency: 32, batch: 8 },
    { concurrency: 64, batch: 16 },
    { concurrency: 256, batch: 4 },
  ]) {
    const r = await measure(server.url, c);
    const floor = await timerFloor(c);
    console.log(
      `concurrency ${String(c.concurrency).padStart(3)} x batch ${String(c.batch).padStart(2)}: ${r.textsPerSecond.toFixed(0).padStart(6)} texts/s of ${r.limit.toFixed(0).padStart(6)} theoretical -> ratio ${r.ratio.toFixed(3)} ${r.ratio >= 0.8 ? '(meets 0.8)' : '(below 0.8)'}; ${r.texts} texts; timers alone reach ${floor.toFixed(2)}`,
    );
  }
} finally {
  await server.stop();
}
