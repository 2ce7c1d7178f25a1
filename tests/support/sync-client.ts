/**
 * Node-side helpers for driving the real Worker over HTTP: `startLocalWorker` runs `wrangler dev` (local D1 with
 * migrations applied, a temp persist dir, free ports, a local S3 server's settings as vars), and `SyncClient` is a
 * minimal device speaking the sync protocol (shared/sync/SPEC.md): push = upload missing blobs + commit with retry on
 * conflict; pull = manifest since my version + download missing blobs, verifying each hash on read (S4).
 * Tests and benchmarks use it; the PWA's real sync engine is built on the same protocol types.
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
import { sha256Hex } from '../../shared/sync/hash';
import { applyCommits, emptyManifest, type Manifest } from '../../shared/sync/manifest';
import {
  MAX_DIRECT_BLOB_BYTES,
  blobRecordSchema,
  commitResponseSchema,
  downloadResponseSchema,
  manifestResponseSchema,
  missingBlobsResponseSchema,
  syncConflictResponseSchema,
  uploadUrlResponseSchema,
  type CommitRequest,
  type CommitResponse,
} from '../../shared/sync/protocol';

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
  close(): Promise<void>;
}

const workerEnv = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };
const wranglerBin = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

/**
 * `wrangler dev` on 127.0.0.1 with fresh local state; `vars` are passed as --var (e.g. the S3 settings), on top of a
 * random per-run LOGIN_KDF_SECRET (sign-up and login need one).
 */
export async function startLocalWorker(vars: Record<string, string>): Promise<LocalWorker> {
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
    [wranglerBin, 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--persist-to', persist,
      '--show-interactive-dev-session=false', '--log-level', 'warn', ...varArgs],
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

  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/api/health`);
      await res.body?.cancel();
      if (res.ok) return { url, close };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await close();
  throw new Error(`wrangler dev did not become ready: ${output.slice(-2000)}`);
}

/** Turns an error envelope into the AppError it names; anything else is a protocol bug. */
async function failure(res: Response): Promise<AppError> {
  const text = await res.text();
  const parsed = errorEnvelopeSchema.safeParse(JSON.parse(text || 'null'));
  if (parsed.success) return AppError.fromData(parsed.data.error);
  return new AppError('INTERNAL', { detail: `HTTP ${res.status}: ${text.slice(0, 200)}` });
}

export class SyncClient {
  manifest: Manifest = emptyManifest();
  /** Segment bytes this device holds, by hash. */
  readonly blobs = new Map<string, Uint8Array>();
  /** Conflicts met by push (each one meant a pull, merge and retry). */
  conflicts = 0;

  constructor(
    readonly baseUrl: string,
    readonly token: string,
    readonly deviceId: string,
  ) {}

  static async signUp(baseUrl: string, email: string, password: string, deviceId: string): Promise<SyncClient> {
    return SyncClient.session(baseUrl, '/api/auth/signup', email, password, deviceId);
  }

  static async logIn(baseUrl: string, email: string, password: string, deviceId: string): Promise<SyncClient> {
    return SyncClient.session(baseUrl, '/api/auth/login', email, password, deviceId);
  }

  /** Signs up or logs in as the app does: login-params, the Argon2id derivation, then the secret (never the password). */
  private static async session(baseUrl: string, path: string, email: string, password: string, deviceId: string): Promise<SyncClient> {
    const paramsRes = await fetch(`${baseUrl}/api/auth/login-params`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    if (!paramsRes.ok) throw await failure(paramsRes);
    const params = loginParamsResponseSchema.parse(await paramsRes.json());
    const secret = await deriveLoginSecret(password, params.kdf);
    const credentials = path.endsWith('/signup')
      ? { email, secret, kdf: params.kdf, session: 'token' }
      : { email, secret, ...(params.legacyPassword ? { password } : {}), session: 'token' };
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(credentials),
    });
    if (!res.ok) throw await failure(res);
    const body = (await res.json()) as { token?: unknown };
    if (typeof body.token !== 'string') throw new AppError('INTERNAL', { detail: 'no session token in response' });
    return new SyncClient(baseUrl, body.token, deviceId);
  }

  async request(method: string, path: string, init: { json?: unknown; body?: Uint8Array<ArrayBuffer> } = {}): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      headers['Content-Type'] = 'application/octet-stream';
      body = init.body;
    }
    return fetch(`${this.baseUrl}${path}`, { method, headers, body });
  }

  async missing(hashes: string[]): Promise<string[]> {
    const res = await this.request('POST', '/api/sync/blobs/missing', { json: { hashes } });
    if (!res.ok) throw await failure(res);
    return missingBlobsResponseSchema.parse(await res.json()).missing;
  }

  /** Small blobs through the Worker, large ones straight to the store with a presigned PUT, then verify (S4, S8). */
  async upload(bytes: Uint8Array<ArrayBuffer>, hash: string, options: { presigned?: boolean } = {}): Promise<void> {
    if (options.presigned !== true && bytes.byteLength <= MAX_DIRECT_BLOB_BYTES) {
      const res = await this.request('PUT', `/api/sync/blobs/${hash}`, { body: bytes });
      if (!res.ok) throw await failure(res);
      blobRecordSchema.parse(await res.json());
      return;
    }
    const urlRes = await this.request('POST', `/api/sync/blobs/${hash}/upload-url`, { json: { size: bytes.byteLength } });
    if (!urlRes.ok) throw await failure(urlRes);
    const { upload } = uploadUrlResponseSchema.parse(await urlRes.json());
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    if (!put.ok) throw new AppError('INTERNAL', { detail: `presigned PUT failed: HTTP ${put.status}` });
    await put.body?.cancel();
    const verify = await this.request('POST', `/api/sync/blobs/${hash}/verify`);
    if (!verify.ok) throw await failure(verify);
    blobRecordSchema.parse(await verify.json());
  }

  /** Push: upload what the server lacks, commit on my version; on conflict pull, merge and retry. */
  async push(
    segments: Uint8Array<ArrayBuffer>[],
    extra: Pick<CommitRequest, 'tombstones' | 'settings'> = {},
    options: { presigned?: boolean; maxAttempts?: number } = {},
  ): Promise<CommitResponse> {
    const hashes = await Promise.all(segments.map((s) => sha256Hex(s)));
    const lacking = new Set(await this.missing(hashes));
    for (const [i, bytes] of segments.entries()) {
      const hash = hashes[i]!;
      if (lacking.has(hash)) await this.upload(bytes, hash, options);
      this.blobs.set(hash, bytes);
    }
    const maxAttempts = options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt += 1) {
      const res = await this.request('POST', '/api/sync/commit', {
        json: { baseVersion: this.manifest.version, deviceId: this.deviceId, addedSegments: hashes, ...extra } satisfies CommitRequest,
      });
      if (res.status === 409) {
        const body: unknown = await res.json();
        const conflict = syncConflictResponseSchema.safeParse(body);
        // BLOB_MISSING is a 409 too, without a head.
        if (!conflict.success) throw AppError.fromData(errorEnvelopeSchema.parse(body).error);
        if (attempt >= maxAttempts) throw new AppError('SYNC_CONFLICT', { detail: `gave up after ${attempt} attempts` });
        this.conflicts += 1;
        // Merge = union by hash, which pulling gives; then retry on the head we now hold.
        await this.pull();
        continue;
      }
      if (!res.ok) throw await failure(res);
      const committed = commitResponseSchema.parse(await res.json());
      this.manifest = applyCommits(this.manifest, [committed.commit]);
      return committed;
    }
  }

  /** Pull: every commit after my version (all pages), then every segment I lack, hash-checked on read. */
  async pull(): Promise<Manifest> {
    for (;;) {
      const res = await this.request('GET', `/api/sync/manifest?since=${this.manifest.version}`);
      if (!res.ok) throw await failure(res);
      const page = manifestResponseSchema.parse(await res.json());
      this.manifest = applyCommits(this.manifest, page.commits);
      if (!page.hasMore) break;
    }
    for (const segment of this.manifest.segments) {
      if (this.blobs.has(segment.sha256)) continue;
      this.blobs.set(segment.sha256, await this.download(segment.sha256));
    }
    return this.manifest;
  }

  async download(hash: string): Promise<Uint8Array<ArrayBuffer>> {
    const res = await this.request('GET', `/api/sync/blobs/${hash}`);
    if (!res.ok) throw await failure(res);
    const { download } = downloadResponseSchema.parse(await res.json());
    const got = await fetch(download.url, { headers: download.headers });
    if (!got.ok) throw new AppError('INTERNAL', { detail: `presigned GET failed: HTTP ${got.status}` });
    const bytes = new Uint8Array(await got.arrayBuffer());
    if ((await sha256Hex(bytes)) !== hash) throw new AppError('BLOB_HASH_MISMATCH');
    return bytes;
  }
}
