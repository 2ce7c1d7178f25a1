/**
 * `npm run bench -- mcp`: the command-line device on a generated ChatGPT export of BENCH_EXCHANGES exchanges (default
 * 100,000; about 320 MB), or of BENCH_MB megabytes when that is set instead.
 *   1. import throughput: `cogzy import --no-push` (the importer + the SQLite store + the keyword index, as a
 *      person runs it, process start included) against the importer alone (`npm run import`, ids kept in memory);
 *   2. search_memory latency: the MCP tool called through stdio by the SDK's client against the same search called
 *      in process (searchVault over the same SQLite file), p50/p95 over BENCH_QUERIES two-word queries.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliHome, writeAccount } from '../shared/cli/home';
import { openSqliteVault } from '../shared/cli/sqlite-store';
import { searchVault } from '../shared/cli/vault-queries';
import { writeExport } from '../tests/support/generate-chatgpt';

const root = resolve(import.meta.dirname, '..');
const tsx = join(root, 'node_modules/tsx/dist/cli.mjs');
const cogzy = join(root, 'shared/cli/cogzy.mjs');
const MB = process.env.BENCH_MB === undefined ? Number.POSITIVE_INFINITY : Number(process.env.BENCH_MB);
const EXCHANGES = process.env.BENCH_MB === undefined ? Number(process.env.BENCH_EXCHANGES ?? 100_000) : Number.POSITIVE_INFINITY;
const QUERIES = Number(process.env.BENCH_QUERIES ?? 60);
const WORDS = ['index', 'query', 'vault', 'memory', 'export', 'stream', 'record', 'schema', 'café', 'résumé', 'données', 'straße', 'мир', 'über'];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function queries(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${WORDS[(i * 5) % WORDS.length]} ${WORDS[(i * 3 + 1) % WORDS.length]}`);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'cogzy-mcp-bench-'));
try {
  const file = join(dir, 'conversations.json');
  const generated = await writeExport(file, MB * 1e6, 1, EXCHANGES);
  const bytes = statSync(file).size;
  console.log(`export: ${(bytes / 1e6).toFixed(0)} MB, ${generated.conversations} conversations, ${generated.nodes} exchanges; load ${loadavg()[0]!.toFixed(1)}`);

  // 1. Import throughput.
  let started = performance.now();
  const alone = spawnSync(process.execPath, [tsx, join(root, 'shared/cli/import-cli.ts'), file, '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const aloneMs = performance.now() - started;
  if (alone.status !== 0) throw new Error(`importer alone failed: ${alone.stderr}`);
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = { ...process.env, COGZY_HOME: home };
  delete env.COGZY_VAULT_KEY;
  writeAccount(cliHome(env), { version: 1, server: 'http://127.0.0.1:9', email: 'bench@example.com', token: 'offline', deviceId: 'cli-bench' });
  started = performance.now();
  const ours = spawnSync(process.execPath, [cogzy, 'import', file, '--no-push', '--json'], { cwd: root, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const oursMs = performance.now() - started;
  if (ours.status !== 0) throw new Error(`cogzy import failed: ${ours.stdout} ${ours.stderr}`);
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
  console.log(`importer alone (npm run import):   ${(aloneMs / 1000).toFixed(1)} s, ${mbps(aloneMs).toFixed(1)} MB/s`);
  console.log(`cogzy import --no-push:            ${(oursMs / 1000).toFixed(1)} s, ${mbps(oursMs).toFixed(1)} MB/s`);
  console.log(`ratio cogzy / importer alone:      ${(mbps(oursMs) / mbps(aloneMs)).toFixed(2)} x throughput`);
  console.log(`vault file: ${(statSync(cliHome(env).vaultFile).size / 1e6).toFixed(0)} MB`);

  // 2. search_memory latency: the same query in process and through stdio, alternating which goes first, so the
  // page cache and the machine's load treat both alike.
  const qs = queries(QUERIES);
  const vault = openSqliteVault(cliHome(env).vaultFile, 'cli-bench');
  const nodes = vault.reader.count('node');
  const client = new Client({ name: 'cogzy-bench', version: '1.0.0' });
  const childEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cogzy, 'mcp'], env: childEnv, cwd: root, stderr: 'ignore' }));
  const inProcess: number[] = [];
  const stdio: number[] = [];
  const local = async (q: string) => {
    const t = performance.now();
    await searchVault(vault.reader, 'http://127.0.0.1:9', q, { limit: 10 });
    return performance.now() - t;
  };
  const remote = async (q: string) => {
    const t = performance.now();
    const result = (await client.callTool({ name: 'search_memory', arguments: { query: q, limit: 10, mode: 'keyword' } })) as { isError?: boolean };
    if (result.isError === true) throw new Error(`search_memory failed for ${q}`);
    return performance.now() - t;
  };
  try {
    for (const q of qs.slice(0, 5)) {
      await local(q);
      await remote(q);
    }
    for (const [i, q] of qs.entries()) {
      if (i % 2 === 0) {
        inProcess.push(await local(q));
        stdio.push(await remote(q));
      } else {
        stdio.push(await remote(q));
        inProcess.push(await local(q));
      }
    }
  } finally {
    await client.close();
    vault.close();
  }
  const p = (values: number[], n: number) => `${percentile(values, n).toFixed(1)} ms`;
  console.log(`search_memory at ${nodes} exchanges, ${QUERIES} two-word queries, limit 10:`);
  console.log(`  in process:   p50 ${p(inProcess, 50)}  p95 ${p(inProcess, 95)}`);
  console.log(`  MCP stdio:    p50 ${p(stdio, 50)}  p95 ${p(stdio, 95)}`);
  console.log(`  ratio stdio / in process: p50 ${(percentile(stdio, 50) / percentile(inProcess, 50)).toFixed(2)} x, p95 ${(percentile(stdio, 95) / percentile(inProcess, 95)).toFixed(2)} x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
