/**
 * `npm start`: Cogzy Vault on embedded defaults, no keys needed.
 *   - a local S3-compatible blob store (s3rver) standing in for Backblaze B2, data in .dev-data/s3
 *   - the Worker under `wrangler dev` with local D1 (migrations applied first), state in .dev-data/wrangler
 *   - a local OpenAI-compatible server standing in for the embeddings API (deterministic vectors) and for the
 *     ask-memory model behind POST /api/chat (streamed replies that quote the excerpts they were given)
 *   - a local Stripe stand-in (checkout and billing portal pages, signed webhooks to the Worker), so upgrading and
 *     cancelling work with no keys
 *   - the PWA on vite's dev server, proxying /api to the Worker; with `--preview` (`npm run preview`) the production
 *     build instead, served by `vite preview` with the same proxy, so the service worker (install, offline) is there
 * Everything listens on 127.0.0.1. Ctrl-C stops everything this started.
 * Ports: WEB_PORT (5173), API_PORT (8787), S3_PORT (4569), EMBED_PORT (4570), STRIPE_PORT (4571).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import S3rver from '@20minutes/s3rver';
import { startOpenAiCompatibleServer } from '../support/openai-server';
import { blobCorsXml } from '../support/s3-server';
import { startStripeServer } from '../support/stripe-server';

const root = resolve(import.meta.dirname, '..', '..');
const dataDir = join(root, '.dev-data');
const host = '127.0.0.1';
const ports = {
  web: Number(process.env.WEB_PORT ?? 5173),
  api: Number(process.env.API_PORT ?? 8787),
  s3: Number(process.env.S3_PORT ?? 4569),
  embed: Number(process.env.EMBED_PORT ?? 4570),
  stripe: Number(process.env.STRIPE_PORT ?? 4571),
};
/** Every port this listens on, with what uses it and the variable that moves it (inspector: API_PORT + 1442). */
const PORTS: readonly { port: number; what: string; variable: string }[] = [
  { port: ports.web, what: 'the web app', variable: 'WEB_PORT' },
  { port: ports.api, what: 'the API Worker', variable: 'API_PORT' },
  { port: ports.api + 1442, what: "the API Worker's debugger", variable: 'API_PORT' },
  { port: ports.s3, what: 'the local blob store', variable: 'S3_PORT' },
  { port: ports.embed, what: 'the local embeddings API', variable: 'EMBED_PORT' },
];
/** How long the Worker and the web app get to answer before start-up is called failed. */
const READY_WITHIN_MS = 120_000;
const bucket = 'cogzy-dev';
/** `npm run preview`: serve the production build (service worker included) instead of vite's dev server. */
const preview = process.argv.includes('--preview');
const children: ChildProcess[] = [];
const stoppers: (() => Promise<void>)[] = [];
let stopping = false;

const workerEnv = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
};

function log(message: string): void {
  console.log(`[start] ${message}`);
}

function run(name: string, args: string[], env: NodeJS.ProcessEnv = workerEnv): ChildProcess {
  // Spawn node on the package's bin directly so the PID we hold is the server's own (Ctrl-C reaches it).
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (line: string) => `[${name}] ${line}`;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') console.log(prefix(line));
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} stopped (${signal ?? `exit ${code}`}); stopping the rest.`);
      void shutdown(1);
    }
  });
  children.push(child);
  return child;
}

function runToCompletion(name: string, args: string[], env: NodeJS.ProcessEnv = workerEnv): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolveRun() : reject(new Error(`${name} failed with exit code ${code}`))));
  });
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping...');
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(stoppers.map((stop) => stop().catch(() => undefined)));
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/** Resolves with the error code when `port` cannot be listened on (EADDRINUSE: taken), null when it is free. */
function portProblem(port: number): Promise<string | null> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
    probe.listen(port, host, () => probe.close(() => done(null)));
  });
}

function portSentence(entry: { port: number; what: string; variable: string }, code: string): string {
  const cause = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'may not be used by this user' : `cannot be used (${code})`;
  return `Port ${entry.port} (${entry.what}) ${cause} on ${host}. Stop whatever uses it, or choose another port: ${entry.variable}=<free port> npm start`;
}

/** Every port free before anything starts, so a taken one is one clear sentence instead of a stack trace later. */
async function checkPorts(): Promise<boolean> {
  const problems: string[] = [];
  for (const entry of PORTS) {
    const code = await portProblem(entry.port);
    if (code !== null) problems.push(portSentence(entry, code));
  }
  for (const problem of problems) console.error(`[start] ${problem}`);
  return problems.length === 0;
}

/** Waits until `url` answers with a success (the part behind it is ready), or the time is up. */
async function answers(url: string, until: number): Promise<boolean> {
  while (Date.now() < until && !stopping) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
  return false;
}

async function main(): Promise<void> {
  if (!(await checkPorts())) {
    process.exit(1);
  }
  mkdirSync(join(dataDir, 's3'), { recursive: true });
  mkdirSync(join(dataDir, 'wrangler'), { recursive: true });

  const s3 = new S3rver({
    address: host,
    port: ports.s3,
    silent: true,
    directory: join(dataDir, 's3'),
    // CORS lets the PWA PUT/GET segments straight through presigned URLs, as the production B2 bucket must.
    configureBuckets: [{ name: bucket, configs: [blobCorsXml([`http://${host}:${ports.web}`])] }],
    vhostBuckets: false,
  });
  await s3.run();
  stoppers.push(() => s3.close());
  log(`blob store (S3-compatible, standing in for B2) on http://${host}:${ports.s3}/${bucket}`);

  // A typing pace for streamed chat replies, so stopping an answer mid-way can be tried by hand.
  const embed = await startOpenAiCompatibleServer({ host, port: ports.embed, tokenDelayMs: 40 });
  stoppers.push(() => embed.close());
  log(`embeddings and chat API (OpenAI-compatible, local stand-in) on ${embed.url}/v1`);

  const stripeSecrets = { secretKey: `sk_test_dev_${randomBytes(12).toString('hex')}`, webhookSecret: `whsec_dev_${randomBytes(12).toString('hex')}` };
  const stripe = await startStripeServer({ host, port: ports.stripe, ...stripeSecrets, webhookUrl: `http://${host}:${ports.api}/api/webhooks/billing` });
  stoppers.push(() => stripe.close());
  log(`billing (Stripe stand-in: checkout and portal pages, signed webhooks) on ${stripe.url}`);

  const wrangler = join('node_modules', 'wrangler', 'bin', 'wrangler.js');
  const persist = join(dataDir, 'wrangler');
  log('applying D1 migrations to the local database...');
  await runToCompletion('migrations', [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist]);

  // Local-only secrets: random per run, never in the repo, the client bundle or the log.
  const adminToken = randomBytes(24).toString('base64url');
  const devVars: Record<string, string> = {
    S3_ENDPOINT: `http://${host}:${ports.s3}`,
    S3_REGION: 'us-east-1',
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    APP_ORIGIN: `http://${host}:${ports.web}`,
    STRIPE_WEBHOOK_SECRET: stripeSecrets.webhookSecret,
    STRIPE_SECRET_KEY: stripeSecrets.secretKey,
    STRIPE_API_BASE: stripe.url,
    STRIPE_PRICE_ID: 'price_dev_premium',
    CHAT_API_BASE: `${embed.url}/v1`,
    CHAT_API_KEY: 'sk-local-stand-in',
    CHAT_MODEL: 'stand-in-chat',
    ADMIN_TOKEN: adminToken,
    LOGIN_KDF_SECRET: randomBytes(24).toString('base64url'),
  };
  const varArgs = Object.entries(devVars).flatMap(([key, value]) => ['--var', `${key}:${value}`]);
  run('worker', [
    wrangler, 'dev', '--ip', host, '--port', String(ports.api), '--persist-to', persist,
    '--inspector-port', String(ports.api + 1442), '--show-interactive-dev-session=false', ...varArgs,
  ]);

  const vite = join('node_modules', 'vite', 'bin', 'vite.js');
  const webEnv = {
    ...process.env,
    COGZY_API_URL: `http://${host}:${ports.api}`,
    // The app's default embedder in dev: the local OpenAI-compatible stand-in (no key needed).
    VITE_EMBEDDINGS_URL: embed.url,
  };
  if (preview) {
    // The production build with its service worker, so installing and working offline can be tried locally.
    log('building the app (production build, with the service worker)...');
    await runToCompletion('build', [vite, 'build', '--config', 'vite.config.ts', '--logLevel', 'warn'], webEnv);
    run('web', [vite, 'preview', '--config', 'vite.config.ts', '--host', host, '--port', String(ports.web), '--strictPort'], webEnv);
  } else {
    run('web', [vite, '--config', 'vite.config.ts', '--host', host, '--port', String(ports.web), '--strictPort'], webEnv);
  }
  writeFileSync(join(dataDir, 'admin-token'), adminToken, { mode: 0o600 });
  log(`operator token for /api/admin this run is in .dev-data/admin-token`);
  log('waiting for the API Worker and the web app to answer...');
  // The URL only once every part answers: opening it earlier gave proxy ECONNREFUSED errors for the first calls.
  const until = Date.now() + READY_WITHIN_MS;
  const [api, web] = await Promise.all([answers(`http://${host}:${ports.api}/api/health`, until), answers(`http://${host}:${ports.web}/`, until)]);
  if (stopping) return;
  if (!api || !web) {
    console.error(`[start] ${!api ? 'The API Worker' : 'The web app'} did not answer within ${READY_WITHIN_MS / 1000} s; see its lines above.`);
    await shutdown(1);
    return;
  }
  log(`Cogzy Vault: open http://${host}:${ports.web}/ (Ctrl-C stops everything)`);
}

main().catch((error: unknown) => {
  // A port taken between the check and the start (another program was quicker) still gets the sentence.
  const errno = error as NodeJS.ErrnoException & { port?: number };
  const entry = PORTS.find((p) => p.port === errno.port);
  if (errno.code && entry) console.error(`[start] ${portSentence(entry, errno.code)}`);
  else console.error(`[start] could not start: ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
