/* eslint-disable @typescript-eslint/require-await -- the ports are async; this server answers synchronously */
/**
 * An in-memory sync server that follows SPEC.md S1-S16 for the routes the engine uses (blobs, presigned upload and
 * verify, commit with compare-and-set, manifest paging, quotas, per-user isolation, the per-user request budget), and
 * a Transport bound to one user. The simulation runs thousands of seeds against it; the HTTP transport runs the
 * same engine against the real Worker (tests/unit/sync-push-pull.integration.test.ts).
 */
import { AppError } from '../../errors';
import { sha256Hex } from '../hash';
import { applyCommits, checkpointOf, commitMetadataBytes, emptyManifest, manifestFromCheckpoint, type Manifest } from '../manifest';
import { TransportError, type Clock, type Transport } from '../ports';
import {
  MANIFEST_PAGE_SIZE,
  MAX_BLOB_BYTES,
  MAX_DIRECT_BLOB_BYTES,
  commitRequestSchema,
  missingBlobsRequestSchema,
  sha256HexSchema,
  type CommitRecord,
  type CommitRequest,
  type CommitResponse,
  type ManifestCheckpoint,
  type ManifestResponse,
  type Sha256Hex,
  type VaultHead,
} from '../protocol';

interface Vault {
  blobs: Map<Sha256Hex, Uint8Array<ArrayBuffer>>;
  /** S8: announced presigned uploads (hash -> size) and the bytes PUT to them. */
  announced: Map<Sha256Hex, number>;
  uploadedUnverified: Map<Sha256Hex, Uint8Array<ArrayBuffer>>;
  commits: CommitRecord[];
  segments: Map<Sha256Hex, number>;
  tombstoneCount: number;
  settings: string | null;
  updatedAt: number | null;
  /** S16: request count in the current minute. */
  window: { start: number; count: number };
  /** S21: the manifest folded up to a version; commits at or below it are no longer served. */
  checkpoint: ManifestCheckpoint | null;
}

export interface MemoryServerOptions {
  clock: Clock;
  /** S10: the plan's vault quota in bytes. */
  quotaBytes?: number;
  /** S11: commits per manifest page (small values exercise paging). */
  pageSize?: number;
  /** S16: requests per user per minute. */
  requestsPerMinute?: number;
  /**
   * S21: fold older commits into a checkpoint, keeping this many newest commits (the real server keeps 16 and folds
   * in batches); undefined never folds. A device below the checkpoint must start again from it.
   */
  checkpointKeep?: number;
  /** S4: how the server hashes what it stores (WebCrypto by default; the simulation passes node's faster one). */
  sha256?: (bytes: Uint8Array<ArrayBuffer>) => Promise<string>;
}

export class MemoryServer {
  private readonly vaults = new Map<string, Vault>();
  readonly quotaBytes: number;
  private readonly pageSize: number;
  private readonly requestsPerMinute: number;
  private readonly sha256: (bytes: Uint8Array<ArrayBuffer>) => Promise<string>;

  constructor(private readonly options: MemoryServerOptions) {
    this.quotaBytes = options.quotaBytes ?? 1024 * 1024 * 1024;
    this.pageSize = options.pageSize ?? MANIFEST_PAGE_SIZE;
    this.requestsPerMinute = options.requestsPerMinute ?? 600;
    this.sha256 = options.sha256 ?? sha256Hex;
  }

  vault(user: string): Vault {
    let vault = this.vaults.get(user);
    if (vault === undefined) {
      vault = {
        blobs: new Map(),
        announced: new Map(),
        uploadedUnverified: new Map(),
        commits: [],
        segments: new Map(),
        tombstoneCount: 0,
        settings: null,
        updatedAt: null,
        window: { start: 0, count: 0 },
        checkpoint: null,
      };
      this.vaults.set(user, vault);
    }
    return vault;
  }

  /** S16: one request of the user's budget; over it, 429 with Retry-After 60 and nothing else happens. */
  private spend(user: string): Vault {
    const vault = this.vault(user);
    const now = this.options.clock.now();
    if (now - vault.window.start >= 60_000) vault.window = { start: now, count: 0 };
    vault.window.count += 1;
    if (vault.window.count > this.requestsPerMinute) throw new TransportError('rate-limited', 60_000, 'S16');
    return vault;
  }

  private hash(value: string): Sha256Hex {
    const parsed = sha256HexSchema.safeParse(value);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', { detail: 'S1' });
    return parsed.data;
  }

  private storedBytes(vault: Vault): number {
    let total = 0;
    for (const bytes of vault.blobs.values()) total += bytes.byteLength;
    for (const [hash, size] of vault.announced) if (!vault.blobs.has(hash)) total += size;
    return total;
  }

  head(user: string): VaultHead {
    const vault = this.vault(user);
    let bytes = 0;
    for (const size of vault.segments.values()) bytes += size;
    return {
      version: vault.commits.length,
      segmentCount: vault.segments.size,
      bytes,
      tombstoneCount: vault.tombstoneCount,
      // S20: the metadata the server keeps (this server keeps every commit; it does not fold checkpoints, S21).
      metaBytes: vault.commits.reduce((sum, commit) => sum + commitMetadataBytes(commit), 0),
      settings: vault.settings,
      stats: null,
      updatedAt: vault.updatedAt,
    };
  }

  // S2
  async missing(user: string, hashes: readonly string[]): Promise<Sha256Hex[]> {
    const vault = this.spend(user);
    const request = missingBlobsRequestSchema.parse({ hashes });
    return [...new Set(request.hashes)].filter((h) => !vault.blobs.has(h));
  }

  // S4, S9: direct upload through the "Worker".
  async putDirect(user: string, hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    const vault = this.spend(user);
    const name = this.hash(hash);
    if (bytes.byteLength > MAX_DIRECT_BLOB_BYTES) throw new AppError('PAYLOAD_TOO_LARGE');
    if ((await this.sha256(bytes)) !== name) throw new AppError('BLOB_HASH_MISMATCH');
    if (vault.blobs.has(name)) return;
    if (this.storedBytes(vault) + bytes.byteLength > this.quotaBytes * 2) throw new AppError('VAULT_FULL');
    vault.blobs.set(name, bytes.slice());
  }

  // S8: announce, PUT to the "bucket", verify.
  async announce(user: string, hash: string, size: number): Promise<void> {
    const vault = this.spend(user);
    const name = this.hash(hash);
    if (size < 1 || size > MAX_BLOB_BYTES) throw new AppError('VALIDATION_FAILED');
    if (vault.blobs.has(name)) return;
    const others = this.storedBytes(vault) - (vault.announced.get(name) ?? 0);
    if (others + size > this.quotaBytes * 2) throw new AppError('VAULT_FULL');
    vault.announced.set(name, size);
  }

  /** The presigned PUT straight to the bucket (not a Worker request: no S16 budget). */
  async bucketPut(user: string, hash: string, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    const vault = this.vault(user);
    const name = this.hash(hash);
    if (vault.announced.get(name) !== bytes.byteLength) throw new TransportError('server', null, 'presigned PUT refused: size or URL');
    vault.uploadedUnverified.set(name, bytes.slice());
  }

  async verify(user: string, hash: string): Promise<void> {
    const vault = this.spend(user);
    const name = this.hash(hash);
    if (vault.blobs.has(name)) return;
    const size = vault.announced.get(name);
    if (size === undefined) throw new AppError('NOT_FOUND');
    const bytes = vault.uploadedUnverified.get(name);
    if (bytes === undefined) throw new AppError('BLOB_MISSING');
    vault.uploadedUnverified.delete(name);
    if (bytes.byteLength !== size || (await this.sha256(bytes)) !== name) throw new AppError('BLOB_HASH_MISMATCH');
    vault.blobs.set(name, bytes);
  }

  async download(user: string, hash: string): Promise<Uint8Array<ArrayBuffer>> {
    const vault = this.spend(user);
    const bytes = vault.blobs.get(this.hash(hash));
    if (bytes === undefined) throw new AppError('NOT_FOUND');
    return bytes.slice();
  }

  // S5, S6, S7, S10
  async commit(user: string, input: CommitRequest): Promise<{ ok: true; response: CommitResponse } | { ok: false; conflict: VaultHead }> {
    const vault = this.spend(user);
    const request = commitRequestSchema.parse(input);
    if (request.baseVersion !== vault.commits.length) return { ok: false, conflict: this.head(user) };
    for (const hash of request.addedSegments) if (!vault.blobs.has(hash)) throw new AppError('BLOB_MISSING');
    const segments = new Map(vault.segments);
    for (const hash of request.removedSegments) segments.delete(hash);
    for (const hash of request.addedSegments) if (!segments.has(hash)) segments.set(hash, vault.blobs.get(hash)!.byteLength);
    const before = this.head(user).bytes;
    let after = 0;
    for (const size of segments.values()) after += size;
    if (after > before && after > this.quotaBytes) throw new AppError('VAULT_FULL');
    const now = this.options.clock.now();
    const commit: CommitRecord = {
      version: vault.commits.length + 1,
      deviceId: request.deviceId,
      addedSegments: request.addedSegments.map((sha256) => ({ sha256, size: vault.blobs.get(sha256)!.byteLength })),
      removedSegments: request.removedSegments,
      tombstones: request.tombstones,
      settings: request.settings,
      createdAt: now,
    };
    vault.commits.push(commit);
    vault.segments = segments;
    vault.tombstoneCount += request.tombstones.length;
    if (request.settings !== null) vault.settings = request.settings;
    vault.updatedAt = now;
    this.fold(vault);
    return { ok: true, response: { head: this.head(user), commit } };
  }

  /** S21: once twice `checkpointKeep` commits wait after the checkpoint, fold all but the newest `checkpointKeep`. */
  private fold(vault: Vault): void {
    const keep = this.options.checkpointKeep;
    const folded = vault.checkpoint?.version ?? 0;
    if (keep === undefined || vault.commits.length - folded < 2 * keep) return;
    const base: Manifest = vault.checkpoint ? manifestFromCheckpoint(vault.checkpoint) : emptyManifest();
    const upTo = vault.commits.length - keep;
    vault.checkpoint = checkpointOf(applyCommits(base, vault.commits.filter((c) => c.version > folded && c.version <= upTo)));
  }

  // S11, S21, S24
  async manifest(user: string, since: number): Promise<ManifestResponse> {
    const vault = this.spend(user);
    const head = this.head(user);
    const checkpoint = vault.checkpoint !== null && since < vault.checkpoint.version ? vault.checkpoint : null;
    const from = checkpoint?.version ?? since;
    const after = vault.commits.filter((c) => c.version > from);
    const commits = after.slice(0, this.pageSize);
    return { head, ...(checkpoint ? { checkpoint } : {}), commits, hasMore: after.length > commits.length, serverTime: this.options.clock.now() };
  }

  /** Test hook: what a malicious or broken server could do to a stored blob. */
  replaceBlob(user: string, hash: Sha256Hex, bytes: Uint8Array<ArrayBuffer>): void {
    this.vault(user).blobs.set(hash, bytes);
  }

  dropBlob(user: string, hash: Sha256Hex): void {
    this.vault(user).blobs.delete(hash);
  }
}

/** A device's view of the in-memory server: presigned upload first, the direct upload as fallback (C7). */
export class MemoryTransport implements Transport {
  constructor(
    private readonly server: MemoryServer,
    private readonly user: string,
    private readonly options: { presignedFails?: boolean } = {},
  ) {}

  missingBlobs(hashes: readonly Sha256Hex[]): Promise<Sha256Hex[]> {
    return this.server.missing(this.user, hashes);
  }

  async uploadBlob(hash: Sha256Hex, bytes: Uint8Array<ArrayBuffer>): Promise<void> {
    await this.server.announce(this.user, hash, bytes.byteLength);
    try {
      if (this.options.presignedFails === true) throw new TransportError('network', null, 'presigned PUT blocked (CORS)');
      await this.server.bucketPut(this.user, hash, bytes);
    } catch (error) {
      if (!(error instanceof TransportError) || bytes.byteLength > MAX_DIRECT_BLOB_BYTES) throw error;
      await this.server.putDirect(this.user, hash, bytes);
      return;
    }
    await this.server.verify(this.user, hash);
  }

  downloadBlob(hash: Sha256Hex): Promise<Uint8Array<ArrayBuffer>> {
    return this.server.download(this.user, hash);
  }

  commit(request: CommitRequest) {
    return this.server.commit(this.user, request);
  }

  manifest(since: number): Promise<ManifestResponse> {
    return this.server.manifest(this.user, since);
  }
}
