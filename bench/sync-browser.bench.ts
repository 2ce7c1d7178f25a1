/**
 * `npm run bench -- sync-browser`: the two-device story of issue #10 at vault scale, in Debian's chromium on the
 * production build (dist/, built when absent or BENCH_BUILD=1), against `wrangler dev` + local D1 + the local S3
 * server. A generated ChatGPT export of BENCH_NODES exchanges (default 100,000) plus one conversation with a marker
 * word nothing else holds:
 *  1. laptop (fresh profile): imports the file through the Import page, then searches until the marker is found:
 *     the local import's time until search works, the baseline;
 *  2. laptop: signs up, sets up sync, and waits for "In sync" (the first push);
 *  3. phone (another fresh profile): signs in, unlocks with the passphrase, waits for "In sync" (the first pull),
 *     then searches until the marker is found.
 * Prints each time, the bytes the dashboards report, the ratio phone until searchable / laptop local import, and the
 * main-thread tasks over 50 ms while pushing and pulling (how long the page froze).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { importThroughUi, launchApp, type BrowserSession } from '../tests/support/browser';
import { serveStatic } from '../tests/support/browser-server';
import { appendConversationToExport, oneExchangeConversation, writeExport } from '../tests/support/generate-chatgpt';
import { startLocalS3 } from '../tests/support/s3-server';
import { startLocalWorker } from '../tests/support/sync-client';
import { openSyncPage, pollFor, searchHitsShown, setUpSyncThroughUi, signInThroughUi, unlockSyncThroughUi, waitInSyncShown } from '../tests/support/sync-pages';

const root = resolve(import.meta.dirname, '..');
const NODES = Number(process.env.BENCH_NODES ?? 100_000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MIN ?? 60) * 60_000;
const MARKER = `zqbench${randomUUID().replace(/-/g, '').slice(0, 8)}`;
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const load = (): string => loadavg()[0]!.toFixed(1);
/** BENCH_CPU_PROFILE=1: V8 CPU profiles of the laptop's push and the phone's pull (on an unminified build), printed. */
const CPU_PROFILE = process.env.BENCH_CPU_PROFILE === '1';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time by function, and the time under each function (itself and what it called), the top 25 of each. */
function printCpuProfile(label: string, profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const name = (id: number): string => {
    const frame = byId.get(id)?.callFrame;
    return `${frame?.functionName || '(anonymous)'} ${(frame?.url ?? '').split('/').pop() ?? ''}:${(frame?.lineNumber ?? 0) + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  (profile.samples ?? []).forEach((id, i) => {
    const delta = (profile.timeDeltas?.[i] ?? 0) / 1000;
    self.set(name(id), (self.get(name(id)) ?? 0) + delta);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = name(at);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + delta);
    }
  });
  const top = (m: Map<string, number>): string[] =>
    [...m].filter(([key]) => !key.startsWith('(idle)') && !key.startsWith('(root)') && !key.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, 25).map(([key, t]) => `  ${t.toFixed(0).padStart(7)} ms  ${key}`);
  console.log(`CPU profile of ${label}, self time by function:\n${top(self).join('\n')}`);
  console.log(`time under each function:\n${top(total).join('\n')}`);
}

/** Searches the marker until its one exchange is found (the index may still be catching up after an import or pull). */
async function untilMarkerFound(page: Page, appUrl: string): Promise<void> {
  await pollFor(`search finding ${MARKER}`, TIMEOUT_MS, async () => String(await searchHitsShown(page, appUrl, MARKER, { timeoutMs: 30_000 })), '1', 1000);
}

/**
 * Main-thread tasks over 50 ms (chromium's Long Tasks API), from the page's next navigation on: what the person feels
 * as a frozen page while sync works.
 */
async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const tasks: number[] = [];
    (globalThis as unknown as { cogzyLongTasks: number[] }).cogzyLongTasks = tasks;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** Long tasks since the last call: how many, the longest, and their total. */
async function longTasksSince(page: Page): Promise<string> {
  const tasks = await page.evaluate(() => {
    const all = (globalThis as unknown as { cogzyLongTasks?: number[] }).cogzyLongTasks ?? [];
    return all.splice(0, all.length);
  });
  const longest = tasks.reduce((max, t) => Math.max(max, t), 0);
  const total = tasks.reduce((sum, t) => sum + t, 0);
  const over200 = tasks.filter((t) => t > 200).length;
  return `${tasks.length} main-thread tasks over 50 ms (${over200} over 200 ms), longest ${longest.toFixed(0)} ms, ${s(total)} in all`;
}

/** Starts a CPU profile of the page when BENCH_CPU_PROFILE=1; the returned function stops it and prints it. */
async function profile(page: Page, label: string): Promise<() => Promise<void>> {
  if (!CPU_PROFILE) return () => Promise.resolve();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return async () => printCpuProfile(label, (await cdp.send('Profiler.stop')).profile);
}

/** The most segments any part of the phone's keyword index has (queries read every segment of a term's part). */
async function indexSegmentsPerPart(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((ok, fail) => {
      const open = indexedDB.open('cogzy-vault');
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(new Error(String(open.error)));
    });
    const keys = await new Promise<IDBValidKey[]>((ok, fail) => {
      const request = db.transaction('searchIndex').objectStore('searchIndex').getAllKeys();
      request.onsuccess = () => ok(request.result);
      request.onerror = () => fail(new Error(String(request.error)));
    });
    db.close();
    const perPart = new Map<string, number>();
    for (const key of keys) {
      const part: unknown = Array.isArray(key) ? key[0] : null;
      // The titles log folds itself past 16 rows (title-index.ts); stats is one row.
      if (typeof part === 'string' && part !== 'stats' && part !== 'titles') perPart.set(part, (perPart.get(part) ?? 0) + 1);
    }
    return [...perPart.values()].reduce((max, n) => Math.max(max, n), 0);
  });
}

async function bytesShown(page: Page, appUrl: string): Promise<string> {
  await openSyncPage(page, appUrl);
  return ((await page.getByTestId('sync-bytes').textContent()) ?? '').trim();
}

const dist = join(root, 'dist');
if (CPU_PROFILE || process.env.BENCH_BUILD === '1' || !existsSync(join(dist, 'index.html'))) {
  const args = [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', ...(CPU_PROFILE ? ['--minify', 'false'] : [])];
  const build = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('vite build failed');
}
const dir = mkdtempSync(join(tmpdir(), 'cogzy-sync-browser-bench-'));
let workerUrl: string | null = null;
const web = await serveStatic(dist, { apiTarget: () => workerUrl });
const appUrl = web.url;
const s3 = await startLocalS3('cogzy-sync-browser-bench', { allowedOrigins: [appUrl.replace(/\/$/, '')] });
const worker = await startLocalWorker({ ...s3.env, APP_ORIGIN: appUrl.replace(/\/$/, '') }, { readyTimeoutMs: 180_000 });
workerUrl = worker.url;
const sessions: BrowserSession[] = [];
try {
  const file = join(dir, 'conversations.json');
  const generated = await writeExport(file, Number.POSITIVE_INFINITY, 7, NODES);
  appendConversationToExport(file, oneExchangeConversation('00000000-0000-4000-8000-00000000be1c', `Bench marker ${MARKER}`, `where is ${MARKER} kept`, `${MARKER} is kept in the vault`, 1_700_000_000));
  console.log(`export: ${(statSync(file).size / 1e6).toFixed(0)} MB, ${generated.conversations + 1} conversations, ${generated.nodes + 1} exchanges; load ${load()}`);
  const account = { email: `bench-${randomUUID()}@example.com`, password: 'correct horse battery staple' };
  const passphrase = 'a long sync passphrase nobody guesses';

  const laptop = await launchApp();
  sessions.push(laptop);
  await watchLongTasks(laptop.page);
  laptop.page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') console.log(`  laptop console ${m.type()}: ${m.text().slice(0, 500)}`);
  });
  let started = performance.now();
  await laptop.page.goto(`${appUrl}#/import`);
  const [shown] = await importThroughUi(laptop.page, [file], { timeoutMs: TIMEOUT_MS });
  const importedMs = performance.now() - started;
  if (shown?.status !== 'complete') {
    const page = ((await laptop.page.getByTestId('import-result').textContent().catch(() => '')) ?? '').trim();
    throw new Error(`the laptop's import ended ${shown?.status ?? 'without a result'} after ${s(importedMs)}: ${shown?.sentence ?? page}`);
  }
  await untilMarkerFound(laptop.page, appUrl);
  const localMs = performance.now() - started;
  console.log(`laptop, local import: imported ${s(importedMs)}, marker found by search ${s(localMs)} (${Math.round((generated.nodes / localMs) * 1000)} exchanges/s); load ${load()}`);

  await signInThroughUi(laptop.page, appUrl, account, 'signup');
  await longTasksSince(laptop.page);
  const pushProfile = await profile(laptop.page, "the laptop's first push");
  started = performance.now();
  await setUpSyncThroughUi(laptop.page, appUrl, passphrase);
  const setUpTasks = await longTasksSince(laptop.page);
  await waitInSyncShown(laptop.page, TIMEOUT_MS);
  const pushMs = performance.now() - started;
  const pushTasks = await longTasksSince(laptop.page);
  await pushProfile();
  console.log(`laptop, set up sync and first push: ${s(pushMs)}, up / down ${await bytesShown(laptop.page, appUrl)}; load ${load()}`);
  console.log(`  while setting up (the passphrase's key derivation): ${setUpTasks}`);
  console.log(`  while pushing: ${pushTasks}`);

  const phone = await launchApp({ viewport: { width: 390, height: 844 } });
  sessions.push(phone);
  await watchLongTasks(phone.page);
  phone.page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') console.log(`  phone console ${m.type()}: ${m.text().slice(0, 500)}`);
  });
  await signInThroughUi(phone.page, appUrl, account, 'signin');
  await longTasksSince(phone.page);
  const pullProfile = await profile(phone.page, "the phone's pull");
  started = performance.now();
  await unlockSyncThroughUi(phone.page, appUrl, passphrase);
  const unlockedMs = performance.now() - started;
  const unlockTasks = await longTasksSince(phone.page);
  await waitInSyncShown(phone.page, TIMEOUT_MS, (state) => console.log(`  phone at ${s(performance.now() - started)}: ${state}`));
  const pulledMs = performance.now() - started;
  const pullTasks = await longTasksSince(phone.page);
  await pullProfile();
  await untilMarkerFound(phone.page, appUrl);
  const phoneMs = performance.now() - started;
  console.log(`phone, unlock and first pull: unlocked ${s(unlockedMs)}, in sync ${s(pulledMs)}, marker found by search ${s(phoneMs)}, up / down ${await bytesShown(phone.page, appUrl)}`);
  console.log(`  while unlocking (the passphrase's key derivation): ${unlockTasks}`);
  console.log(`  while pulling: ${pullTasks}`);
  // The pull writes an index segment per chunk it merged; a worker merges them afterwards (index-compaction.ts).
  await pollFor('keyword index compacted after the pull', 120_000, async () => String((await indexSegmentsPerPart(phone.page)) <= 8), 'true', 2000).catch(() => undefined);
  console.log(`  keyword index after the pull: at most ${await indexSegmentsPerPart(phone.page)} segments per part (merged from 8 on)`);
  console.log(`ratio phone until searchable / laptop local import until searchable: ${(phoneMs / localMs).toFixed(2)} x`);
  for (const session of sessions) if (session.errors.length > 0) console.log(`browser errors: ${session.errors.slice(0, 5).join(' | ')}`);
  console.log(`load at the end ${load()}`);
} finally {
  for (const session of sessions) await session.close();
  await worker.close();
  await s3.close();
  await web.close();
  rmSync(dir, { recursive: true, force: true });
}
