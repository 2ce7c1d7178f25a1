/**
 * `npm run bench -- cli-sync`: a generated ChatGPT export (BENCH_MB, default 200 MB) through the command line on two
 * computers against the real Worker under `wrangler dev` and a local S3 server: `cogzy import --no-push`, then
 * `cogzy sync` (the push), then a second home's `cogzy sync` (the pull, index included) and a search there. Prints
 * the time of each step and the bytes that travelled.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createVault } from '../shared/sync/keys';
import { writeExport } from '../tests/support/generate-chatgpt';
import { startLocalS3 } from '../tests/support/s3-server';
import { openSession, startLocalWorker, transportFor } from '../tests/support/sync-client';

const root = resolve(import.meta.dirname, '..');
const cogzy = join(root, 'shared/cli/cogzy.mjs');
const MB = Number(process.env.BENCH_MB ?? 200);

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; json: Record<string, unknown> }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cogzy, ...args, '--json'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`cogzy ${args.join(' ')} exited ${code}: ${out} ${err}`));
      done({ ms: performance.now() - started, json: JSON.parse(out) as Record<string, unknown> });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'cogzy-cli-sync-bench-'));
const s3 = await startLocalS3();
const worker = await startLocalWorker(s3.env, { readyTimeoutMs: 180_000 });
try {
  const file = join(dir, 'conversations.json');
  const generated = await writeExport(file, MB * 1e6);
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

  const imported = await run(['import', file, '--no-push'], laptop);
  const pushed = await run(['sync'], laptop);
  const up = pushed.json.report as { pushedSegments: number; bytesUp: number };
  const pulled = await run(['sync'], desktop);
  const down = pulled.json.report as { pulledSegments: number; bytesDown: number };
  const status = await run(['status'], desktop);
  const searched = await run(['search', 'vault memory', '--limit', '10'], desktop);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`cogzy import --no-push (laptop):  ${s(imported.ms)}  (${(bytes / 1e6 / (imported.ms / 1000)).toFixed(1)} MB/s)`);
  console.log(`cogzy sync, the push (laptop):    ${s(pushed.ms)}  ${up.pushedSegments} segments, ${(up.bytesUp / 1e6).toFixed(1)} MB encrypted`);
  console.log(`cogzy sync, the pull (desktop):   ${s(pulled.ms)}  ${down.pulledSegments} segments, ${(down.bytesDown / 1e6).toFixed(1)} MB`);
  console.log(`import to searchable on the other computer: ${s(imported.ms + pushed.ms + pulled.ms)}`);
  console.log(`desktop holds ${String(status.json.exchanges)} exchanges; search "vault memory" ${s(searched.ms)} with process start, ${(searched.json.hits as unknown[]).length} hits`);
} finally {
  await worker.close();
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
}
