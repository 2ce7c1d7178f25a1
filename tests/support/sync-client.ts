/**
 * Node-side helpers for driving the real Worker over HTTP: `startLocalWorker` runs `wrangler dev` (local D1 with
 * migrations applied, a temp persist dir, free ports, a local S3 server's settings as vars), `openSession` signs in,
 * and `transportFor` gives the product's own HttpTransport for that session, which the real sync engine drives.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deriveLoginSecret } from '../../shared/auth/login-secret';
import { loginParamsResponseSchema } from '../../shared/auth/protocol';
import { AppError, errorEnvelopeSchema } from '../../shared/errors';
import { HttpTransport, type Fetch } from '../../shared/sync/http-transport';

const root = resolve(import.meta.dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface LocalWorker {
  url: string;
  /** Where wrangler keeps the local D1 database (scanned by the no-plaintext check). */
  persistDir: string;
  close(): Promise<void>;
  /** Whether `wrangler dev` is still running, and the end of what it printed (for a bench or test that lost it). */
  alive?(): boolean;
  output?(): string;
}

const workerEnv = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };
const wranglerBin = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

export interface LocalWorkerOptions {
  /** Entry script relative to the repository root, instead of wrangler.toml's `main` (e.g. a bench's metering wrapper). */
  entry?: string;
  /** More `wrangler dev` arguments, e.g. `--test-scheduled` to fire the Cron Trigger over HTTP. */
  extraArgs?: readonly string[];
  /** The path answering 200 once the Worker serves; `/api/health` unless the entry has its own. */
  readyPath?: string;
  /** How long to wait for that answer; a loaded machine may need more than the default minute. */
  readyTimeoutMs?: number;
}

/**
 * `wrangler dev` on 127.0.0.1 with fresh local state; `vars` are passed as --var (e.g. the S3 settings), on top of a
 * random per-run LOGIN_KDF_SECRET (sign-up and login need one).
 */
export async function startLocalWorker(vars: Record<string, string>, options: LocalWorkerOptions = {}): Promise<LocalWorker> {
  const { entry, extraArgs = [], readyPath = '/api/health', readyTimeoutMs = 60_000 } = options;
  const persist = mkdtempSync(join(tmpdir(), 'cogzy-wrangler-'));
  const migrate = spawnSync(process.execPath, [wranglerBin, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], {
    cwd: root,
    env: workerEnv,
    encoding: 'utf8',
  });
  if (migrate.status !== 0) throw new Error(`D1 migrations failed: ${migrate.stderr || migrate.stdout}`);

  const port = await freePort();
  const inspectorPort = await freePort();
  const allVars = { LOGIN_KDF_SECRET: randomBytes(24).toString('base64url'), ...vars };
  const varArgs = Object.entries(allVars).flatMap(([key, value]) => ['--var', `${key}:${value}`]);
  // Detached: the child leads its own process group, so closing stops wrangler and its workerd together.
  const child: ChildProcess = spawn(
    process.execPath,
    [wranglerBin, 'dev', ...(entry === undefined ? [] : [entry]), '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--persist-to', persist,
      '--show-interactive-dev-session=false', '--log-level', 'warn', ...extraArgs, ...varArgs],
    { cwd: root, env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const close = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    rmSync(persist, { recursive: true, force: true });
  };

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}${readyPath}`);
      await res.body?.cancel();
      if (res.ok) return { url, persistDir: persist, close, alive: () => child.exitCode === null, output: () => output.slice(-3000) };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await close();
  throw new Error(`wrangler dev did not become ready: ${output.slice(-2000)}`);
}

/**
 * Signs up or logs in over HTTP as the app does (login-params, the Argon2id login secret, never the password; the
 * password only once for an account from before login secrets) and returns the session token (bearer).
 */
export async function openSession(baseUrl: string, mode: 'signup' | 'login', email: string, password: string): Promise<string> {
  const post = async (path: string, json: unknown): Promise<unknown> => {
    const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(json) });
    const body: unknown = await res.json();
    if (!res.ok) throw AppError.fromData(errorEnvelopeSchema.parse(body).error);
    return body;
  };
  const params = loginParamsResponseSchema.parse(await post('/api/auth/login-params', { email }));
  const secret = await deriveLoginSecret(password, params.kdf);
  const body =
    mode === 'signup'
      ? await post('/api/auth/signup', { email, secret, kdf: params.kdf, session: 'token' })
      : await post('/api/auth/login', { email, secret, ...(params.legacyPassword ? { password } : {}), session: 'token' });
  const token = (body as { token?: unknown }).token;
  if (typeof token !== 'string') throw new AppError('INTERNAL', { detail: 'no session token in response' });
  return token;
}

/** The product's HTTP transport for a signed-in session, with node's fetch (or a wrapper of it). */
export function transportFor(baseUrl: string, token: string, fetchImpl: Fetch = (input, init) => fetch(input, init)): HttpTransport {
  return new HttpTransport({ baseUrl, fetch: fetchImpl, headers: () => ({ Authorization: `Bearer ${token}` }) });
}
