/**
 * The vault-head port: the manifest head, the commit log with its checkpoint, and the wrapped vault key (SPEC S5,
 * S6, S10-S12, S20, S21). Routes reach it only through `vaultHeadsFromEnv`, so moving every vault into its own
 * SQLite-backed Durable Object (docs/SCALING.md) is one more adapter beside `d1VaultHeads`, not a rewrite.
 */
import type { CommitRecord, ManifestCheckpoint, VaultHead, VaultKeyResponse, VaultStats, WrappedKey } from '../../../shared/sync/protocol';

export interface CommitInput {
  userId: string;
  baseVersion: number;
  deviceId: string;
  addedSegments: readonly string[];
  removedSegments: readonly string[];
  tombstones: readonly string[];
  settings: string | null;
  stats: VaultStats | null;
  /** null = unlimited. */
  quotaBytes: number | null;
  now: number;
  /** Random, unique per attempt: marks the compare-and-set this request won. */
  commitId: string;
}

export type CommitOutcome = { ok: true; head: VaultHead; commit: CommitRecord } | { ok: false; head: VaultHead };

export interface ManifestPage {
  head: VaultHead;
  checkpoint: ManifestCheckpoint | null;
  commits: CommitRecord[];
  hasMore: boolean;
}

export type PutKeyOutcome = { ok: true; key: VaultKeyResponse } | { ok: false; current: VaultKeyResponse | null };

export interface VaultHeads {
  getHead(userId: string, now: number): Promise<VaultHead>;
  /** S5: compare-and-set on the head; throws BLOB_MISSING, VAULT_FULL or VAULT_HISTORY_FULL; a lost race is a value. */
  commit(input: CommitInput): Promise<CommitOutcome>;
  /** S11, S21: what a device at `since` needs next. */
  readManifest(userId: string, since: number, now: number): Promise<ManifestPage>;
  /** S21: folds older commits into the checkpoint when enough gathered; the new checkpoint version or null. */
  foldCheckpoint(userId: string, foldId: string): Promise<number | null>;
  getVaultKey(userId: string, now: number): Promise<VaultKeyResponse | null>;
  /** S12: compare-and-set on the key revision. */
  putVaultKey(userId: string, expectedRevision: number, wrappedKey: WrappedKey, now: number): Promise<PutKeyOutcome>;
}
