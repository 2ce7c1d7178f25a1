/**
 * What the sync engine needs from its host, passed in by the caller (shared/ stays pure): the local vault, the
 * server, WebCrypto, a clock, randomness and a way to wait. The PWA passes Dexie, fetch and the browser's own;
 * tests pass the in-memory ones in ./testing and a virtual clock.
 */
import type { CommitRequest, CommitResponse, ManifestResponse, Sha256Hex, VaultHead } from './protocol';
import type { SyncRecord } from './records';
import type { SegmentKind } from './segment';

/** The engine's bookkeeping, stored with the vault so a closed tab resumes where it stopped (C6). */
export interface SyncCursor {
  /** The manifest version this device has fully fetched (its commits are known). */
  version: number;
  /** Segment hashes in the manifest at `version`, in order, with their sizes and, once read, their kind. */
  segments: { sha256: Sha256Hex; size: number; kind?: SegmentKind }[];
  /** Segments whose records are merged into the local vault. */
  applied: Sha256Hex[];
  /** The last hybrid logical clock value this device issued or saw. */
  hlc: string;
}

/** A record key changed locally and not yet acknowledged by a commit, with the local change number that made it. */
export interface PendingChange {
  key: string;
  seq: number;
}

/**
 * One local transaction: everything done through it commits together or not at all (C5). Records are addressed by
 * `recordKey(record)`; tombstoned keys are sticky (C9).
 */
export interface LocalTx {
  getRecord(key: string): Promise<SyncRecord | undefined>;
  putRecord(record: SyncRecord): Promise<void>;
  deleteRecord(key: string): Promise<void>;
  /** Keys of the records whose `ownerKeys` include `key` (what deleting `key` also deletes). */
  keysOwnedBy(key: string): Promise<string[]>;
  hasTombstone(key: string): Promise<boolean>;
  addTombstone(key: string): Promise<void>;
  getCursor(): Promise<SyncCursor>;
  setCursor(cursor: SyncCursor): Promise<void>;
  /** Marks `key` as changed locally (a new change number each time). */
  markPending(key: string): Promise<void>;
  pending(): Promise<PendingChange[]>;
  /** Drops pending entries whose change number is still the one given (a newer local change stays pending). */
  clearPending(acknowledged: readonly PendingChange[]): Promise<void>;
  /**
   * Optional, all three or none: the same as the one-key calls for many keys at once, for a store whose cost is per
   * request (IndexedDB). A pulled segment merges through them (vault-ops.ts mergeRecords).
   */
  tombstonedAmong?(keys: readonly string[]): Promise<Set<string>>;
  getRecords?(keys: readonly string[]): Promise<(SyncRecord | undefined)[]>;
  putRecords?(records: readonly SyncRecord[]): Promise<void>;
}

export interface LocalStore {
  /** Runs `fn` in one transaction; a throw rolls everything back. */
  transaction<T>(fn: (tx: LocalTx) => Promise<T>): Promise<T>;
  /** Every record and tombstone (snapshots, digests). */
  allRecords(): Promise<SyncRecord[]>;
  allTombstones(): Promise<string[]>;
  /**
   * Optional: every record, page by page in a stable order, for a store whose vault may not fit in memory at once
   * (compaction streams its snapshot from it); without it, compaction reads allRecords().
   */
  recordPages?(): AsyncIterable<SyncRecord[]>;
}

/**
 * The server, as the engine sees it. Failures are thrown as `TransportError` (transient: retry with backoff) or as
 * an AppError with the server's code (final for this attempt).
 */
export interface Transport {
  missingBlobs(hashes: readonly Sha256Hex[]): Promise<Sha256Hex[]>;
  /** Uploads and verifies a blob (presigned first, the Worker's direct upload as fallback). */
  uploadBlob(hash: Sha256Hex, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  downloadBlob(hash: Sha256Hex): Promise<Uint8Array<ArrayBuffer>>;
  /** A 409 with a head is returned as `{conflict: head}`, never thrown. */
  commit(request: CommitRequest): Promise<{ ok: true; response: CommitResponse } | { ok: false; conflict: VaultHead }>;
  manifest(since: number): Promise<ManifestResponse>;
}

/** A failure worth retrying: network, timeout, 5xx, 429. `retryAfterMs` comes from a Retry-After header. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'network' | 'timeout' | 'server' | 'rate-limited',
    readonly retryAfterMs: number | null = null,
    detail = '',
  ) {
    super(`sync transport ${kind}${detail ? `: ${detail}` : ''}`);
    this.name = 'TransportError';
  }
}

/** WebCrypto's SubtleCrypto (browsers, workerd and node 20 all have it): pass `crypto.subtle`. */
export type Cipher = Pick<SubtleCrypto, 'encrypt' | 'decrypt' | 'importKey' | 'exportKey' | 'deriveKey' | 'deriveBits' | 'sign' | 'digest'>;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Random {
  /** Cryptographically strong bytes in production (`crypto.getRandomValues`). */
  bytes(length: number): Uint8Array<ArrayBuffer>;
  /** Uniform in [0, 1): backoff jitter. */
  fraction(): number;
}

export type Sleep = (ms: number) => Promise<void>;
