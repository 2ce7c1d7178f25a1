/**
 * `npm run bench -- sync`: the real sync engine (in-memory device store, HttpTransport) against the local stack
 * (`wrangler dev` + local D1 + s3rver). SYNC_BENCH_NODES nodes (default 100,000) in conversations of 10.
 * Figures, each with its ratio in the same run:
 *  - initial push: bytes uploaded vs the raw JSON of the same records, and time;
 *  - a no-op sync: requests and bytes;
 *  - adding 10 nodes: bytes uploaded vs the initial push, and time to the commit;
 *  - a fresh device pulling everything: time, vs the initial push;
 *  - unlock time (the passphrase KDF, Argon2id through hash-wasm) in Debian's chromium, at the default 64 MiB / 3
 *    passes and at the pass count the app's calibration (web/src/sync/kdf.ts) would pick there, vs node in this run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { argon2id } from 'hash-wasm';
import { DEFAULT_ARGON2 } from '../shared/sync/keys';
import { KDF_TARGET_MS, MAX_ARGON2_PASSES } from '../web/src/sync/kdf';
import { launchChromium } from '../tests/support/browser';
import type { Conversation, MemoryNode } from '../shared/model';
import { SyncEngine } from '../shared/sync/engine';
import type { Fetch } from '../shared/sync/http-transport';
import { deriveSyncKeys, type SyncKeys } from '../shared/sync/keys';
import { MemoryStore } from '../shared/sync/testing/memory-store';
import { importItems } from '../shared/sync/vault-ops';
import { startLocalS3 } from '../tests/support/s3-server';
import { openSession, startLocalWorker, transportFor } from '../tests/support/sync-client';

const NODES = Number(process.env.SYNC_BENCH_NODES ?? 100_000);
const PER_CONVERSATION = 10;
const WORDS = 'memory vault sync device laptop phone export import search answer question model prompt reply context'.split(' ');
const random = { bytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() };

function text(seed: number, words: number): string {
  let out = '';
  for (let i = 0; i < words; i += 1) out += `${WORDS[(seed * 31 + i * 17 + (i * i) % 7) % WORDS.length]} `;
  return `${out}${seed}`;
}

function conversations(from: number, count: number): { conversations: Conversation[]; nodes: MemoryNode[] } {
  const nodes: MemoryNode[] = [];
  const convs: Conversation[] = [];
  for (let n = from; n < from + count; n += 1) {
    const conversationId = `chatgpt:bench-${Math.floor(n / PER_CONVERSATION)}`;
    if (n % PER_CONVERSATION === 0 || n === from) {
      convs.push({
        schemaVersion: 1, id: conversationId, provider: 'chatgpt', providerConversationId: conversationId.slice(8), kind: 'chat',
        title: text(n, 6), createdAt: n, updatedAt: n, model: 'gpt', messageCount: PER_CONVERSATION * 2, nodeCount: PER_CONVERSATION, raw: `{"id":"${n}"}`,
      });
    }
    nodes.push({
      schemaVersion: 1, id: n.toString(16).padStart(64, '0'), kind: 'exchange', provider: 'chatgpt', conversationId, ordinal: n % PER_CONVERSATION,
      active: true, branchId: null,
      human: { text: text(n, 20), messageIds: [`h${n}`], createdAt: n, model: null },
      assistant: { text: text(n + 1, 80), messageIds: [`a${n}`], createdAt: n, model: 'gpt' },
      extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] }, attachments: [], createdAt: n,
    });
  }
  return { conversations: convs, nodes };
}

interface Counter { requests: number; bytesUp: number; bytesDown: number }

function counting(counter: Counter): Fetch {
  return async (input, init) => {
    counter.requests += 1;
    const body = init?.body;
    if (typeof body === 'string') counter.bytesUp += body.length;
    else if (body instanceof Uint8Array) counter.bytesUp += body.byteLength;
    const response = await fetch(input, init);
    const bytes = new Uint8Array(await response.arrayBuffer());
    counter.bytesDown += bytes.byteLength;
    return new Response(response.status === 204 ? null : bytes, { status: response.status, headers: response.headers });
  };
}

function device(name: string, baseUrl: string, token: string, keys: SyncKeys, counter: Counter) {
  const store = new MemoryStore(name);
  const engine = new SyncEngine({
    store, transport: transportFor(baseUrl, token, counting(counter)), cipher: crypto.subtle, random,
    clock: { now: () => Date.now() }, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), keys, deviceId: name,
  });
  return { store, engine, ctx: { store, clock: { now: () => Date.now() }, deviceId: name } };
}

/** Milliseconds of one Argon2id derivation at 64 MiB with `passes`, in chromium (hash-wasm's browser build) and in node. */
async function unlockTimes(): Promise<void> {
  if (DEFAULT_ARGON2.name !== 'Argon2id') return;
  const { memoryKiB, parallelism } = DEFAULT_ARGON2;
  const profile = mkdtempSync(join(tmpdir(), 'cogzy-kdf-bench-'));
  const { context, page } = await launchChromium(profile);
  try {
    await page.addScriptTag({ path: resolve(import.meta.dirname, '../node_modules/hash-wasm/dist/argon2.umd.min.js') });
    const inBrowser = (passes: number): Promise<number> =>
      page.evaluate(
        async ({ passes, memoryKiB, parallelism }) => {
          const lib = (window as unknown as { hashwasm: { argon2id: (o: object) => Promise<Uint8Array> } }).hashwasm;
          const salt = crypto.getRandomValues(new Uint8Array(16));
          const started = performance.now();
          await lib.argon2id({ password: 'correct horse battery staple', salt, parallelism, iterations: passes, memorySize: memoryKiB, hashLength: 32, outputType: 'binary' });
          return performance.now() - started;
        },
        { passes, memoryKiB, parallelism },
      );
    const inNode = async (passes: number): Promise<number> => {
      const started = performance.now();
      await argon2id({ password: 'correct horse battery staple', salt: random.bytes(16), parallelism, iterations: passes, memorySize: memoryKiB, hashLength: 32, outputType: 'binary' });
      return performance.now() - started;
    };
    await inBrowser(1); // loads and compiles the WASM once
    const onePass = await inBrowser(1);
    const calibrated = Math.min(MAX_ARGON2_PASSES, Math.max(DEFAULT_ARGON2.iterations, Math.round(KDF_TARGET_MS / onePass)));
    const browserDefault = await inBrowser(DEFAULT_ARGON2.iterations);
    const browserCalibrated = await inBrowser(calibrated);
    await inNode(1);
    const nodeDefault = await inNode(DEFAULT_ARGON2.iterations);
    console.log(
      `unlock (Argon2id ${memoryKiB / 1024} MiB) in chromium: ${DEFAULT_ARGON2.iterations} passes ${browserDefault.toFixed(0)} ms (node ${nodeDefault.toFixed(0)} ms = ${(browserDefault / nodeDefault).toFixed(2)} x); ` +
        `calibrated to ${calibrated} passes: ${browserCalibrated.toFixed(0)} ms (target ${KDF_TARGET_MS} ms)`,
    );
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await unlockTimes();
  const s3 = await startLocalS3('cogzy-sync-bench');
  // A premium-sized quota so the vault fits whatever SYNC_BENCH_NODES is.
  const worker = await startLocalWorker({ ...s3.env, FREE_VAULT_BYTES: String(10 * 1024 ** 3) });
  try {
    const email = `sync-bench-${randomUUID()}@example.com`;
    const keys = await deriveSyncKeys(crypto.subtle, random.bytes(32), { vaultId: Buffer.from(random.bytes(16)).toString('base64') });
    const up: Counter = { requests: 0, bytesUp: 0, bytesDown: 0 };
    const laptop = device('laptop', worker.url, await openSession(worker.url, 'signup', email, 'correct horse battery staple'), keys, up);
    const items = conversations(0, NODES);
    const rawBytes = Buffer.byteLength(JSON.stringify(items));
    await importItems(laptop.ctx, items);

    let started = performance.now();
    const initial = await laptop.engine.sync();
    const initialMs = performance.now() - started;
    const initialUp = up.bytesUp;

    const quiet: Counter = { requests: 0, bytesUp: 0, bytesDown: 0 };
    Object.assign(up, quiet);
    await laptop.engine.sync();
    const noop = { ...up };

    Object.assign(up, { requests: 0, bytesUp: 0, bytesDown: 0 });
    await importItems(laptop.ctx, conversations(NODES, 10));
    started = performance.now();
    const incremental = await laptop.engine.sync();
    const incrementalMs = performance.now() - started;
    const incrementalUp = up.bytesUp;

    const down: Counter = { requests: 0, bytesUp: 0, bytesDown: 0 };
    const phone = device('phone', worker.url, await openSession(worker.url, 'login', email, 'correct horse battery staple'), keys, down);
    started = performance.now();
    const pulled = await phone.engine.sync();
    const pullMs = performance.now() - started;

    console.log(`sync: ${NODES} nodes, wrangler dev + local D1 + s3rver, in-memory device stores`);
    console.log(`initial push: ${initial.state}, ${initial.pushedSegments} segments, ${(initialUp / 1e6).toFixed(1)} MB up vs ${(rawBytes / 1e6).toFixed(1)} MB raw JSON = ${(initialUp / rawBytes).toFixed(3)}, ${(initialMs / 1000).toFixed(1)} s`);
    console.log(`no-op sync: ${noop.requests} request(s), ${noop.bytesUp} B up, ${noop.bytesDown} B down`);
    console.log(`+10 nodes: ${incremental.state}, ${incrementalUp} B up vs initial ${initialUp} B = ${((incrementalUp / initialUp) * 100).toFixed(3)} %, ${incrementalMs.toFixed(0)} ms to the commit`);
    console.log(`fresh device pull: ${pulled.state}, ${pulled.pulledSegments} segments, ${(down.bytesDown / 1e6).toFixed(1)} MB down, ${(pullMs / 1000).toFixed(1)} s = ${(pullMs / initialMs).toFixed(2)} x the initial push`);
  } finally {
    await worker.close();
    await s3.close();
  }
}

await main();
