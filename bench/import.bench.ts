/**
 * `npm run bench -- import`: import throughput and peak memory of the streaming importer against a baseline of
 * readFile + JSON.parse + a plain walk over every message, on the same generated ChatGPT export (200 MB), then the
 * importer alone on a file too large for the baseline (BENCH_BIG_MB, default 1024 MB). Each measurement runs in its
 * own child process so peak RSS (process.resourceUsage().maxRSS) belongs to that run alone.
 * Targets (issue #11): ours >= 1.0 x baseline throughput on 200 MB; peak RSS < 250 MB on the big file.
 * Sizes can be changed with BENCH_MB / BENCH_BIG_MB (e.g. for a quick run), repetitions with BENCH_RUNS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeExport } from '../tests/support/generate-chatgpt';

const root = resolve(import.meta.dirname, '..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');

interface Measure {
  readonly ms: number;
  readonly peakRssBytes: number;
  readonly messages: number;
}

/** Child mode: the baseline, reading the whole file at once. */
function baseline(path: string): void {
  const started = performance.now();
  const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
  let messages = 0;
  let chars = 0;
  if (Array.isArray(data)) {
    for (const conversation of data as { mapping?: Record<string, { message?: { content?: { parts?: unknown[]; text?: string } } | null }> }[]) {
      for (const node of Object.values(conversation.mapping ?? {})) {
        const content = node.message?.content;
        if (!content) continue;
        messages += 1;
        for (const part of content.parts ?? []) if (typeof part === 'string') chars += part.length;
        chars += content.text?.length ?? 0;
      }
    }
  }
  const result: Measure & { chars: number } = { ms: performance.now() - started, peakRssBytes: process.resourceUsage().maxRSS * 1024, messages, chars };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(args: string[]): string {
  const child = spawnSync(process.execPath, [tsx, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0 && child.stdout.trim() === '') throw new Error(`child failed: ${child.stderr}`);
  return child.stdout.trim().split('\n').pop() ?? '';
}

function measureBaseline(path: string): Measure {
  return JSON.parse(runChild([join(root, 'bench/import.bench.ts'), '--baseline', path])) as Measure;
}

interface CliOutput {
  results: { report: { status: string; ms: number; nodes: number; conversations: number; error?: { code: string } } }[];
  peakRssBytes: number;
}

function measureOurs(path: string): Measure & { conversations: number; status: string } {
  const out = JSON.parse(runChild([join(root, 'shared/cli/import-cli.ts'), path, '--json'])) as CliOutput;
  const report = out.results[0]?.report;
  if (!report) throw new Error('the import CLI printed no report');
  if (report.status !== 'complete') throw new Error(`import ${report.status}: ${report.error?.code ?? ''}`);
  return { ms: report.ms, peakRssBytes: out.peakRssBytes, messages: report.nodes, conversations: report.conversations, status: report.status };
}

const mb = (bytes: number) => bytes / 1e6;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 2);
const load = () => loadavg().map((n) => n.toFixed(1)).join(' ');
const rate = (bytes: number, ms: number) => mb(bytes) / (ms / 1000);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cogzy-import-bench-'));
  try {
    const targetMb = Number(process.env['BENCH_MB'] ?? 200);
    const bigMb = Number(process.env['BENCH_BIG_MB'] ?? 1024);

    console.log(`load average at start: ${load()} (figures on a busy machine run low; the ratio is what to compare)`);
    const file = join(dir, 'conversations.json');
    let started = performance.now();
    const generated = await writeExport(file, targetMb * 1024 * 1024, 1);
    const bytes = statSync(file).size;
    console.log(`generated ${mb(bytes).toFixed(0)} MB ChatGPT export (${generated.conversations} conversations, ${generated.nodes} nodes) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Interleaved, best of RUNS each: the machine is shared, so one slow run says more about the neighbours.
    const bases: Measure[] = [];
    const ourRuns: ReturnType<typeof measureOurs>[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      bases.push(measureBaseline(file));
      ourRuns.push(measureOurs(file));
    }
    const base = bases.reduce((a, b) => (b.ms < a.ms ? b : a));
    const ours = ourRuns.reduce((a, b) => (b.ms < a.ms ? b : a));
    if (ours.conversations !== generated.conversations || ours.messages !== generated.nodes) {
      throw new Error(`importer read ${ours.conversations} conversations / ${ours.messages} nodes, generator wrote ${generated.conversations} / ${generated.nodes}`);
    }
    const baseRate = rate(bytes, base.ms);
    const ourRate = rate(bytes, ours.ms);
    console.log(`baseline  readFile+JSON.parse+walk: ${baseRate.toFixed(1)} MB/s, peak RSS ${mb(base.peakRssBytes).toFixed(0)} MB`);
    console.log(`importer  streaming (cli):          ${ourRate.toFixed(1)} MB/s, peak RSS ${mb(ours.peakRssBytes).toFixed(0)} MB`);
    console.log(`ratio importer/baseline throughput: ${(ourRate / baseRate).toFixed(2)} (target >= 1.0; best of ${RUNS} runs each)`);
    rmSync(file);

    const big = join(dir, 'big.json');
    started = performance.now();
    const bigGenerated = await writeExport(big, bigMb * 1024 * 1024, 2);
    const bigBytes = statSync(big).size;
    console.log(`generated ${mb(bigBytes).toFixed(0)} MB export (${bigGenerated.conversations} conversations) in ${((performance.now() - started) / 1000).toFixed(1)} s; baseline not run (JSON.parse cannot hold it)`);
    const bigOurs = measureOurs(big);
    if (bigOurs.conversations !== bigGenerated.conversations) throw new Error('big import lost conversations');
    console.log(`importer  ${mb(bigBytes).toFixed(0)} MB: ${rate(bigBytes, bigOurs.ms).toFixed(1)} MB/s, peak RSS ${mb(bigOurs.peakRssBytes).toFixed(0)} MB (target < 250 MB)`);
    console.log(`load average at end: ${load()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--baseline') baseline(process.argv[3] ?? '');
else await main();
