/**
 * `npm run bench -- cli-sync`: a generated ChatGPT export (BENCH_MB, default 200 MB, plus one conversation with a
 * marker word) through the command line against the real Worker under `wrangler dev` and a local S3 server:
 * `cogzy import --no-push`, then `cogzy sync` (the push), then
 *   - a second home's `cogzy sync` (the pull, index included) and a search there;
 *   - a fresh headless chromium profile on the production build (dist/, built when absent or BENCH_BUILD=1) that
 *     signs in, unlocks sync with the passphrase, pulls, and searches until the marker's exchange is found
 *     (BENCH_BROWSER=0 leaves it out; BENCH_BROWSER_TIMEOUT_MIN, default 90).
 * Prints the time of each step, the bytes that travelled, and the browser's time until searchable against the CLI
 * import's time (ratio).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { createVault } from '../shared/sync/keys';
import { launchApp } from '../tests/support/browser';
import { serveStatic } from '../tests/support/browser-server';
import { appendConversationToExport, oneExchangeConversation, writeExport } from '../tests/support/generate-chatgpt';
import { startLocalS3 } from '../tests/support/s3-server';
import { openSession, startLocalWorker, transportFor } from '../tests/support/sync-client';
import { pollFor, searchHitsShown, signInThroughUi, unlockSyncThroughUi, waitInSyncShown } from '../tests/support/sync-pages';

const root = resolve(import.meta.dirname, '..');
const cogzy = join(root, 'shared/cli/cogzy.mjs');
const MB = Number(process.env.BENCH_MB ?? 200);
const BROWSER = process.env.BENCH_BROWSER !== '0';
const BROWSER_TIMEOUT_MS = Number(process.env.BENCH_BROWSER_TIMEOUT_MIN ?? 90) * 60_000;
const MARKER = `zqbench${randomUUID().replace(/-/g, '').slice(0, 8)}`;

/** Sign in, unlock with the passphrase, wait until the dashboard says "In sync", then search until the marker shows. */
async function browserUntilSearchable(page: Page, appUrl: string, email: string, password: string, passphrase: string): Promise<{ unlockedMs: number; inSyncMs: number; searchableMs: number }> {
  const started = performance.now();
  await signInThroughUi(page, appUrl, { email, password }, 'signin', 60_000);
  await unlockSyncThroughUi(page, appUrl, passphrase);
  const unlockedMs = performance.now() - started;
  await waitInSyncShown(page, BROWSER_TIMEOUT_MS, (state) => console.log(`  browser at ${((performance.now() - started) / 1000).toFixed(0)} s: ${state}`));
  const inSyncMs = performance.now() - started;
  await pollFor('search finding the marker in the browser', BROWSER_TIMEOUT_MS, async () => String(await searchHitsShown(page, appUrl, MARKER, { timeoutMs: 30_000 })), '1', 1000);
  return { unlockedMs, inSyncMs, searchableMs: performance.now() - started };
}

/** The child's peak resident memory so far (VmHWM, Linux), in MB; 0 where /proc is not there. */
function peakRssMb(pid: number | undefined): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; peakRssMb: number; json: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cogzy, ...args, '--json'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let peak = 0;
    // Sampled twice a second: the high-water mark only grows, so the last sample before exit is the peak.
    const sampler = setInterval(() => (peak = Math.max(peak, peakRssMb(child.pid))), 500);
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('exit', () => clearInterval(sampler));
    child.on('close', (code) => {
      clearInterval(sampler);
      if (code !== 0) return fail(new Error(`cogzy ${args.join(' ')} exited ${code}: ${out} ${err}`));
      done({ ms: performance.now() - started, peakRssMb: peak, json: JSON.parse(out) as Record<string, unknown> });
    });
  });
}

const dist = join(root, 'dist');
if (BROWSER && (process.env.BENCH_BUILD === '1' || !existsSync(join(dist, 'index.html')))) {
  const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('vite build failed');
}
const dir = mkdtempSync(join(tmpdir(), 'cogzy-cli-sync-bench-'));
let workerUrl: string | null = null;
const web = await serveStatic(dist, { apiTarget: () => workerUrl });
const appOrigin = web.url.replace(/\/$/, '');
const s3 = await startLocalS3('cogzy-cli-sync-bench', { allowedOrigins: [appOrigin] });
const worker = await startLocalWorker({ ...s3.env, APP_ORIGIN: appOrigin }, { readyTimeoutMs: 180_000 });
workerUrl = worker.url;
try {
  const file = join(dir, 'conversations.json');
  const generated = await writeExport(file, MB * 1e6);
  // One more conversation with a word nothing else holds: what the browser's search must find.
  const markerConversation = oneExchangeConversation('00000000-0000-4000-8000-00000000be0c', `Bench marker ${MARKER}`, `where is ${MARKER} kept`, `${MARKER} is kept in the vault`, 1_700_000_000);
  appendConversationToExport(file, markerConversation);
  const bytes = statSync(file).size;
  console.log(`export: ${(bytes / 1e6).toFixed(0)} MB, ${generated.conversations} conversations, ${generated.nodes} exchanges; load ${loadavg()[0]!.toFixed(1)}`);

  const email = `bench-${randomUUID()}@example.com`;
  const password = 'correct horse battery staple';
  const passphrase = 'a long sync passphrase nobody guesses';
  const token = await openSession(worker.url, 'signup', email, password);
  const vault = await createVault(crypto.subtle, { bytes: (n) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() }, passphrase);
  await transportFor(worker.url, token).putVaultKey(0, vault.wrappedKey);
  const home = (name: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, COGZY_HOME: join(dir, name), COGZY_PASSWORD: password, COGZY_PASSPHRASE: passphrase };
    delete env.COGZY_VAULT_KEY;
    return env;
  };
  const laptop = home('laptop');
  const desktop = home('desktop');
  for (const env of [laptop, desktop]) {
    await run(['login', '--server', worker.url, '--email', email], env);
    await run(['unlock'], env);
  }

  /** When a step fails: is `wrangler dev` (or the S3 server) what stopped answering? Printed before the error. */
  const diagnose = async (step: string, error: unknown): Promise<never> => {
    const probe = async (target: string): Promise<string> => {
      const started = performance.now();
      try {
        const res = await fetch(target, { signal: AbortSignal.timeout(15_000) });
        await res.body?.cancel();
        return `HTTP ${res.status} in ${(performance.now() - started).toFixed(0)} ms`;
      } catch (e) {
        return `no answer after ${(performance.now() - started).toFixed(0)} ms (${e instanceof Error ? `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}` : String(e)})`;
      }
    };
    console.log(`${step} failed at load ${loadavg()[0]!.toFixed(1)}; wrangler dev process ${worker.alive?.() === false ? 'has exited' : 'is running'}`);
    console.log(`  GET /api/health: ${await probe(`${worker.url}/api/health`)}; S3 server: ${await probe(s3.endpoint)}`);
    console.log(`  wrangler dev's last output: ${(worker.output?.() ?? '').slice(-1500) || '(none)'}`);
    console.log(`  ${error instanceof Error ? error.message.split('\n')[0]! : String(error)}`);
    throw error;
  };
  const step = <T>(name: string, work: Promise<T>): Promise<T> => work.catch((error: unknown) => diagnose(name, error));
  const imported = await run(['import', file, '--no-push'], laptop);
  console.log(`  imported in ${(imported.ms / 1000).toFixed(1)} s; pushing (load ${loadavg()[0]!.toFixed(1)})`);
  const pushed = await step('the push', run(['sync'], laptop));
  const up = pushed.json.report as { pushedSegments: number; bytesUp: number };
  console.log(`  pushed in ${(pushed.ms / 1000).toFixed(1)} s, ${pushed.peakRssMb.toFixed(0)} MB peak; pulling (load ${loadavg()[0]!.toFixed(1)})`);
  // A pull is resumable (each segment lands in its own transaction): when one fails, say why, then let a second
  // process continue it, so the figures say whether the failure was the server's or the first process's connections.
  const pulled = await run(['sync'], desktop).catch(async (error: unknown) => {
    await diagnose('the pull', error).catch(() => undefined);
    console.log(`  a second cogzy sync continues the pull (load ${loadavg()[0]!.toFixed(1)})`);
    return step('the second pull', run(['sync'], desktop));
  });
  const down = pulled.json.report as { pulledSegments: number; bytesDown: number };
  const status = await run(['status'], desktop);
  const searched = await run(['search', 'vault memory', '--limit', '10'], desktop);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const rss = (r: { peakRssMb: number }) => `peak RSS ${r.peakRssMb.toFixed(0)} MB`;
  console.log(`cogzy import --no-push (laptop):  ${s(imported.ms)}  (${(bytes / 1e6 / (imported.ms / 1000)).toFixed(1)} MB/s), ${rss(imported)}`);
  console.log(`cogzy sync, the push (laptop):    ${s(pushed.ms)}  ${up.pushedSegments} segments, ${(up.bytesUp / 1e6).toFixed(1)} MB encrypted, ${rss(pushed)}`);
  console.log(`cogzy sync, the pull (desktop):   ${s(pulled.ms)}  ${down.pulledSegments} segments, ${(down.bytesDown / 1e6).toFixed(1)} MB, ${rss(pulled)}`);
  console.log(`import to searchable on the other computer: ${s(imported.ms + pushed.ms + pulled.ms)}`);
  console.log(`desktop holds ${String(status.json.exchanges)} exchanges; search "vault memory" ${s(searched.ms)} with process start, ${(searched.json.hits as unknown[]).length} hits`);
  const marker = await run(['search', MARKER, '--limit', '3'], desktop);
  if ((marker.json.hits as unknown[]).length !== 1) throw new Error(`the desktop did not find the marker ${MARKER}`);

  if (BROWSER) {
    console.log(`browser (fresh chromium profile, production build): sign in, unlock, pull, search "${MARKER}"; load ${loadavg()[0]!.toFixed(1)}`);
    const browser = await launchApp();
    try {
      const b = await browserUntilSearchable(browser.page, web.url, email, password, passphrase);
      console.log(`browser: signed in and unlocked ${s(b.unlockedMs)}, in sync ${s(b.inSyncMs)}, marker found by search ${s(b.searchableMs)}`);
      console.log(`ratio browser until searchable / cogzy import: ${(b.searchableMs / imported.ms).toFixed(2)} x (CLI desktop pull / cogzy import: ${(pulled.ms / imported.ms).toFixed(2)} x)`);
      console.log(`import to searchable in the browser: ${s(imported.ms + pushed.ms + b.searchableMs)}`);
      if (browser.errors.length > 0) console.log(`browser errors: ${browser.errors.slice(0, 5).join(' | ')}`);
    } finally {
      await browser.close();
    }
  }
  console.log(`load at the end ${loadavg()[0]!.toFixed(1)}`);
} finally {
  await worker.close();
  await s3.close();
  await web.close();
  rmSync(dir, { recursive: true, force: true });
}
