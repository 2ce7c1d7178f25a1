/**
 * The sync engine (client rules C4-C17 in SPEC.md). One `sync()` = pull, then push what is pending, then compact if
 * the deltas outweigh the snapshots. Everything it needs is injected (ports.ts); everything it must remember lives
 * in the LocalStore, so a crash or a closed tab resumes where it stopped.
 */
import { AppError, toAppError, type AppErrorData, type ErrorCode } from '../errors';
import { sha256Hex } from './hash';
import { utf8 } from './bytes';
import { MAX_DRIFT_MS, receiveHlc } from './hlc';
import { keyedId, type SyncKeys } from './keys';
import { applyCommits, manifestFromCheckpoint } from './manifest';
import { TransportError, type Cipher, type Clock, type LocalStore, type PendingChange, type Random, type Sleep, type SyncCursor, type Transport } from './ports';
import { MAX_HASHES_PER_REQUEST, MAX_TOMBSTONES_PER_COMMIT, type CommitRecord, type ManifestCheckpoint, type Sha256Hex } from './protocol';
import type { SyncRecord } from './records';
import { decodeSegment, encodeSegment, type EncodedSegment, type SegmentKind, type SegmentPayload } from './segment';
import { applyTombstone, mergeRecords } from './vault-ops';

export const SYNC_STATES = ['idle', 'pulling', 'pushing', 'in-sync', 'offline', 'error', 'conflict', 'vault-full', 'clock-skew'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export interface SyncLimits {
  /** C14: 409s met in one sync before the visible conflict state. */
  maxConflictRetries: number;
  /** C15: network, timeout, 5xx and 429 failures in one sync before giving up until the next trigger. */
  maxTransientRetries: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /**
   * C15: the longest Retry-After a sync waits out while it runs (holding the device's sync lock). A longer one ends
   * the sync at once with SYNC_RETRY_LATER and `retryAt`, and the scheduler leaves the server alone until then.
   */
  maxRetryAfterWaitMs: number;
  /** Plaintext JSON per delta segment (compressed, this lands well below the 8 MiB direct upload limit). */
  deltaJsonBytes: number;
  /** Plaintext JSON per snapshot segment (compressed, about 1-4 MiB). */
  snapshotJsonBytes: number;
  /** Compaction starts once there are at least this many deltas and they outweigh the snapshots (C17). */
  compactAfterDeltas: number;
  /** C5: records merged per local transaction while applying a pulled segment. */
  applyChunkRecords: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = {
  maxConflictRetries: 5,
  maxTransientRetries: 6,
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
  maxRetryAfterWaitMs: 30_000,
  deltaJsonBytes: 4 * 1024 * 1024,
  // 8 MiB: a bigger snapshot made one device hold (and decode in one go) more for fewer requests; at 32 MiB the
  // phone's page froze for seconds per segment (bench/sync-browser.bench.ts).
  snapshotJsonBytes: 8 * 1024 * 1024,
  compactAfterDeltas: 8,
  applyChunkRecords: 250,
};

export interface SyncReport {
  state: SyncState;
  error: AppErrorData | null;
  startedAt: number;
  finishedAt: number;
  pulledSegments: number;
  pushedSegments: number;
  bytesUp: number;
  bytesDown: number;
  /** 409s met and resolved by pull, merge, retry. */
  conflicts: number;
  retries: number;
  compacted: boolean;
  /** C15: the server asked for a wait longer than a sync holds on (Retry-After): no automatic sync before this time. */
  retryAt: number | null;
}

export interface SyncEngineDeps {
  store: LocalStore;
  transport: Transport;
  cipher: Cipher;
  random: Random;
  clock: Clock;
  sleep: Sleep;
  /**
   * Lets the host handle input and paint between two chunks of a pulled segment (C5); `sleep(0)` without it. A
   * browser passes one that hidden tabs do not throttle (web/src/sync/yield.ts).
   */
  yieldToHost?: () => Promise<void>;
  keys: SyncKeys;
  deviceId: string;
  limits?: Partial<SyncLimits>;
  /** Told of every state change (dashboard, header indicator). */
  onState?: (state: SyncState) => void;
}

/** Pending keys read at once while packing a push (bulk reads, where the store has them). */
const PUSH_READ_KEYS = 500;

/** Final states an AppError code leads to; anything else is `error`. None of them wrote to the local vault. */
const STATE_OF_CODE: Partial<Record<ErrorCode, SyncState>> = {
  VAULT_FULL: 'vault-full',
  SYNC_CLOCK_SKEW: 'clock-skew',
  SYNC_CONFLICT_UNRESOLVED: 'conflict',
  OFFLINE: 'offline',
};

/** Worth another attempt in the same sync: the manifest may have moved on (a compacted segment) or an upload got lost. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['BLOB_MISSING', 'BLOB_HASH_MISMATCH']);

/** A lost compare-and-set inside one sync: caught by the loop, never escapes. */
class ConflictSignal extends Error {}

interface Batch {
  pending: PendingChange[];
  payloads: { kind: SegmentKind; payload: SegmentPayload }[];
  tombstones: string[];
}

export class SyncEngine {
  private readonly limits: SyncLimits;
  /** Encoded segments by payload: a retried push re-sends the same bytes (same hash) instead of a new blob. */
  private readonly encoded = new Map<string, EncodedSegment>();
  private running: Promise<SyncReport> | null = null;
  state: SyncState = 'idle';

  constructor(private readonly deps: SyncEngineDeps) {
    this.limits = { ...DEFAULT_SYNC_LIMITS, ...deps.limits };
  }

  private setState(state: SyncState): void {
    this.state = state;
    this.deps.onState?.(state);
  }

  /** C15: exponential backoff with full jitter, capped; a server's Retry-After is a floor. */
  backoffMs(attempt: number, retryAfterMs: number | null): number {
    const ceiling = Math.min(this.limits.backoffCapMs, this.limits.backoffBaseMs * 2 ** attempt);
    const jittered = Math.floor(this.deps.random.fraction() * ceiling);
    return retryAfterMs === null ? jittered : Math.max(retryAfterMs, jittered);
  }

  /**
   * One sync: pull, push, compact. Calls while one runs share it (triggers overlap: a debounced edit, focus,
   * "Sync now"), so one engine never races itself on the cursor.
   */
  sync(): Promise<SyncReport> {
    if (this.running !== null) return this.running;
    this.running = this.runSync().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runSync(): Promise<SyncReport> {
    const report: SyncReport = {
      state: 'idle',
      error: null,
      startedAt: this.deps.clock.now(),
      finishedAt: 0,
      pulledSegments: 0,
      pushedSegments: 0,
      bytesUp: 0,
      bytesDown: 0,
      conflicts: 0,
      retries: 0,
      compacted: false,
      retryAt: null,
    };
    let transient = 0;
    // Segments moved so far: a retry after progress starts a fresh count (C15's bound is per step, so a long pull of
    // many large segments is not given up after one passing failure each).
    let progress = 0;
    const finish = (state: SyncState, error: AppError | null): SyncReport => {
      report.state = state;
      report.error = error?.toData() ?? null;
      report.finishedAt = this.deps.clock.now();
      this.setState(state);
      return report;
    };
    for (;;) {
      try {
        this.setState('pulling');
        await this.pull(report);
        this.setState('pushing');
        if ((await this.pushPending(report)) === 'conflict') throw new ConflictSignal();
        report.compacted = await this.maybeCompact(report);
        this.encoded.clear();
        return finish('in-sync', null);
      } catch (error) {
        if (error instanceof ConflictSignal) {
          report.conflicts += 1;
          if (report.conflicts > this.limits.maxConflictRetries) {
            return finish('conflict', new AppError('SYNC_CONFLICT_UNRESOLVED', { detail: `${report.conflicts} conflicts in one sync` }));
          }
          await this.deps.sleep(this.backoffMs(report.conflicts, null));
          continue;
        }
        const retryable = error instanceof TransportError || (error instanceof AppError && RETRYABLE_CODES.has(error.code));
        if (retryable) {
          const moved = report.pulledSegments + report.pushedSegments;
          if (moved > progress) {
            progress = moved;
            transient = 0;
          }
          transient += 1;
          report.retries += 1;
          const retryAfterMs = error instanceof TransportError ? error.retryAfterMs : null;
          if (retryAfterMs !== null && retryAfterMs > this.limits.maxRetryAfterWaitMs) {
            // A long wait is not spent inside the sync (it would hold the lock and block every other trigger).
            report.retryAt = this.deps.clock.now() + retryAfterMs;
            const minutes = Math.ceil(retryAfterMs / 60_000);
            return finish('error', new AppError('SYNC_RETRY_LATER', { detail: `Retry-After ${Math.round(retryAfterMs / 1000)} s (${minutes} min)` }));
          }
          if (transient > this.limits.maxTransientRetries) return finish(...this.givenUp(error));
          await this.deps.sleep(this.backoffMs(transient, retryAfterMs));
          continue;
        }
        const appError = toAppError(error);
        return finish(STATE_OF_CODE[appError.code] ?? 'error', appError);
      }
    }
  }

  private givenUp(error: TransportError | AppError): [SyncState, AppError] {
    if (error instanceof AppError) return ['error', error];
    if (error.kind === 'network' || error.kind === 'timeout') return ['offline', new AppError('OFFLINE', { detail: error.message })];
    if (error.kind === 'rate-limited') return ['error', new AppError('RATE_LIMITED')];
    return ['error', new AppError('INTERNAL', { detail: error.message })];
  }

  private async cursor(): Promise<SyncCursor> {
    return this.deps.store.transaction((tx) => tx.getCursor());
  }

  // ---- Pull (C5, C6) -------------------------------------------------------------------------------------------

  private async pull(report: SyncReport): Promise<void> {
    let cursor = await this.cursor();
    let first = true;
    for (;;) {
      const askedAt = this.deps.clock.now();
      const page = await this.deps.transport.manifest(cursor.version);
      if (first) this.checkClock(askedAt, page.serverTime);
      first = false;
      if (page.head.version < cursor.version) throw new AppError('SYNC_VAULT_RESET', { detail: `server at ${page.head.version}, device at ${cursor.version}` });
      if (page.hasMore && page.commits.length === 0) throw new TransportError('server', null, 'manifest page with more to come but no commits');
      cursor = await this.advance(page.commits, page.checkpoint ?? null);
      if (!page.hasMore) break;
    }
    const applied = new Set(cursor.applied);
    for (const segment of cursor.segments) {
      if (applied.has(segment.sha256)) continue;
      const bytes = await this.deps.transport.downloadBlob(segment.sha256).catch((error: unknown) => {
        // Compaction may have replaced it since the manifest was read: BLOB_MISSING retries from a fresh manifest.
        throw error instanceof AppError && error.code === 'NOT_FOUND' ? new AppError('BLOB_MISSING', { detail: segment.sha256 }) : error;
      });
      report.bytesDown += bytes.byteLength;
      // S4: the bytes must be what the manifest names before anything reads them.
      if ((await sha256Hex(bytes)) !== segment.sha256) throw new AppError('SYNC_SEGMENT_TAMPERED', { detail: 'downloaded bytes do not match their name' });
      const { kind, payload } = await decodeSegment(this.deps.cipher, this.deps.keys, bytes);
      await this.applySegment(segment.sha256, kind, payload);
      report.pulledSegments += 1;
    }
  }

  /**
   * C40: this device's clock against the server's (S24), before anything is merged or pushed. The server answered
   * between `askedAt` and now, so only the part of the gap that the round trip cannot explain counts. More than
   * MAX_DRIFT_MS either way is SYNC_CLOCK_SKEW: a clock far ahead would win every last-writer-wins edit, one far
   * behind would lose them all.
   */
  private checkClock(askedAt: number, serverTime: number | undefined): void {
    if (serverTime === undefined) return;
    const answeredAt = this.deps.clock.now();
    const ahead = askedAt - serverTime;
    const behind = serverTime - answeredAt;
    const off = Math.max(ahead, behind, 0);
    if (off > MAX_DRIFT_MS) {
      const minutes = Math.round(off / 60_000);
      throw new AppError('SYNC_CLOCK_SKEW', { detail: `this device's clock is about ${minutes} min ${ahead > 0 ? 'ahead of' : 'behind'} the server's` });
    }
  }

  /**
   * Records the commits of a manifest page in the cursor; their segments are applied after (resumable). S21: a page
   * that starts with the server's checkpoint (this device is older than it) replaces the device's segment list with
   * the checkpoint's before the commits after it apply; segments already merged stay marked applied.
   */
  private async advance(commits: readonly CommitRecord[], checkpoint: ManifestCheckpoint | null): Promise<SyncCursor> {
    return this.deps.store.transaction(async (tx) => {
      const cursor = await tx.getCursor();
      if (commits.length === 0 && checkpoint === null) return cursor;
      const base = checkpoint
        ? { ...manifestFromCheckpoint(checkpoint), tombstones: new Set<string>(), settings: null }
        : { version: cursor.version, segments: cursor.segments, tombstones: new Set<string>(), settings: null };
      const manifest = applyCommits(base, commits);
      const kinds = new Map(cursor.segments.map((s) => [s.sha256, s.kind]));
      const segments = manifest.segments.map((s) => {
        const kind = kinds.get(s.sha256);
        return kind === undefined ? { sha256: s.sha256, size: s.size } : { sha256: s.sha256, size: s.size, kind };
      });
      const present = new Set(segments.map((s) => s.sha256));
      const next: SyncCursor = { ...cursor, version: manifest.version, segments, applied: cursor.applied.filter((h) => present.has(h)) };
      await tx.setCursor(next);
      return next;
    });
  }

  /**
   * C5: a segment merges in transactions of at most `applyChunkRecords` records, the event loop served between two
   * (a snapshot holds thousands: one transaction froze the page for seconds, bench/sync-browser.bench.ts). The first
   * transaction advances the clock past every stamp in the segment (a clock-skew check throws before anything is
   * written) and applies the tombstones; the last marks the segment applied. Cut off between two, the segment is not
   * applied and merges again from its start: merging is idempotent (merge.ts), so the records already in are unchanged.
   */
  private async applySegment(sha256: Sha256Hex, kind: SegmentKind, payload: SegmentPayload): Promise<void> {
    const { deviceId, clock } = this.deps;
    const size = Math.max(1, this.limits.applyChunkRecords);
    const chunks = Math.max(1, Math.ceil(payload.records.length / size));
    for (let chunk = 0; chunk < chunks; chunk += 1) {
      if (chunk > 0) await (this.deps.yieldToHost ? this.deps.yieldToHost() : this.deps.sleep(0));
      await this.deps.store.transaction(async (tx) => {
        const cursor = await tx.getCursor();
        let hlc = cursor.hlc;
        if (chunk === 0) {
          const now = clock.now();
          for (const record of payload.records) {
            const stamp = record.type === 'lww' || record.type === 'memory' ? record.hlc : record.type === 'note' ? record.version : null;
            if (stamp !== null) hlc = receiveHlc(hlc, stamp, deviceId, now);
          }
          for (const key of payload.tombstones) await applyTombstone(tx, key);
        }
        await mergeRecords(tx, payload.records.slice(chunk * size, (chunk + 1) * size));
        const last = chunk === chunks - 1;
        if (!last && hlc === cursor.hlc) return;
        await tx.setCursor({
          ...cursor,
          hlc,
          ...(last
            ? {
                applied: cursor.applied.includes(sha256) ? cursor.applied : [...cursor.applied, sha256],
                segments: cursor.segments.map((s) => (s.sha256 === sha256 ? { ...s, kind } : s)),
              }
            : {}),
        });
      });
    }
  }

  // ---- Push (C7, C13, C14) -------------------------------------------------------------------------------------------

  /**
   * The pending changes from `all[from]` on, up to a segment's worth. `intoEmpty`: this push started into an empty
   * vault, so every batch of it is part of the whole vault: labelled a snapshot (C17: compaction does not rewrite it
   * at once, which read the whole vault into memory and uploaded it twice) and sized as one.
   */
  private async nextBatch(intoEmpty: boolean, all: readonly PendingChange[], from: number): Promise<Batch> {
    return this.deps.store.transaction(async (tx) => {
      const kind: SegmentKind = intoEmpty ? 'snapshot' : 'delta';
      const maxBytes = intoEmpty ? this.limits.snapshotJsonBytes : this.limits.deltaJsonBytes;
      const batch: Batch = { pending: [], payloads: [], tombstones: [] };
      const delta: SyncRecord[] = [];
      const vectors: SyncRecord[] = [];
      let bytes = 0;
      const full = (): boolean => bytes >= maxBytes || batch.tombstones.length >= MAX_TOMBSTONES_PER_COMMIT;
      // The store's bulk reads where it has them (a request per key cost most of a push in IndexedDB), a few hundred
      // keys at a time: a batch stops at its size, so the keys read after that are simply read again next time.
      for (let at = from; at < all.length && !full(); at += PUSH_READ_KEYS) {
        const changes = all.slice(at, at + PUSH_READ_KEYS);
        const keys = changes.map((c) => c.key);
        const dead = tx.tombstonedAmong ? await tx.tombstonedAmong(keys) : null;
        const live = dead ? keys.filter((key) => !dead.has(key)) : [];
        const read = tx.getRecords && dead ? await tx.getRecords(live) : null;
        const stored = read ? new Map(live.map((key, i) => [key, read[i]])) : null;
        for (const change of changes) {
          if (full()) break;
          batch.pending.push(change);
          if (dead ? dead.has(change.key) : await tx.hasTombstone(change.key)) {
            batch.tombstones.push(change.key);
            bytes += change.key.length;
            continue;
          }
          const record = stored ? stored.get(change.key) : await tx.getRecord(change.key);
          if (record === undefined) continue;
          bytes += JSON.stringify(record).length;
          (record.type === 'vector' ? vectors : delta).push(record);
        }
      }
      if (delta.length > 0 || batch.tombstones.length > 0) batch.payloads.push({ kind, payload: { records: delta, tombstones: batch.tombstones } });
      if (vectors.length > 0) batch.payloads.push({ kind: 'vectors', payload: { records: vectors, tombstones: [] } });
      return batch;
    });
  }

  private async encode(kind: SegmentKind, payload: SegmentPayload): Promise<EncodedSegment> {
    // The payload's JSON is what is compressed (one stringify: it is megabytes), and its SHA-256 the cache key (the
    // text itself would keep the whole vault in memory during a first push). A retry builds the same payload from the
    // same stored records in the same order, so it finds the same bytes here.
    const json = utf8(JSON.stringify(payload));
    const cacheKey = `${kind}:${await sha256Hex(json)}`;
    const cached = this.encoded.get(cacheKey);
    if (cached !== undefined) return cached;
    const segment = await encodeSegment(this.deps.cipher, this.deps.random, this.deps.keys, kind, payload, json);
    this.encoded.set(cacheKey, segment);
    return segment;
  }

  /** S2 then S8: upload only what the server lacks. */
  private async upload(segments: readonly EncodedSegment[], report: SyncReport): Promise<void> {
    const missing = new Set(await this.deps.transport.missingBlobs(segments.map((s) => s.sha256)));
    for (const segment of segments) {
      if (!missing.has(segment.sha256)) continue;
      await this.deps.transport.uploadBlob(segment.sha256, segment.bytes);
      report.bytesUp += segment.bytes.byteLength;
    }
  }

  private async pushPending(report: SyncReport): Promise<'done' | 'conflict'> {
    // Decided once: after this push's first commit the vault is no longer empty, but what follows is still its first push.
    const intoEmpty = (await this.cursor()).segments.length === 0;
    // The queue is read once and walked batch by batch, then read again (edits made meanwhile, keys changed since
    // they were packed): reading the whole queue for every batch made a first push of 100k exchanges quadratic.
    let queue: PendingChange[] = [];
    let at = 0;
    for (;;) {
      if (at >= queue.length) {
        queue = await this.deps.store.transaction((tx) => tx.pending());
        at = 0;
      }
      const batch = await this.nextBatch(intoEmpty, queue, at);
      if (batch.pending.length === 0) return 'done';
      at += batch.pending.length;
      if (batch.payloads.length === 0) {
        // Only keys whose records are gone (deleted locally by a merge): nothing to send.
        await this.deps.store.transaction((tx) => tx.clearPending(batch.pending));
        continue;
      }
      const segments = await Promise.all(batch.payloads.map((p) => this.encode(p.kind, p.payload)));
      await this.upload(segments, report);
      // C13: the server sees keyed hashes of deleted keys, never the keys (content ids) themselves.
      const tombstones = await Promise.all(batch.tombstones.map((key) => keyedId(this.deps.cipher, this.deps.keys, key)));
      const base = await this.cursor();
      const result = await this.deps.transport.commit({
        baseVersion: base.version,
        deviceId: this.deps.deviceId,
        addedSegments: segments.map((s) => s.sha256),
        removedSegments: [],
        tombstones,
        settings: null,
        stats: null,
      });
      if (!result.ok) return 'conflict';
      await this.acknowledge(base.version, result.response.commit, segments, batch.pending);
      report.pushedSegments += segments.length;
      // Committed: no retry sends these again, so their bytes need not stay in memory for the rest of the push.
      this.encoded.clear();
    }
  }

  /** After a commit: the pushed changes are acknowledged, and our own segments count as applied. */
  private async acknowledge(baseVersion: number, commit: CommitRecord, segments: readonly Pick<EncodedSegment, 'sha256' | 'kind'>[], pending: readonly PendingChange[]): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      const cursor = await tx.getCursor();
      if (commit.version !== baseVersion + 1 || cursor.version !== baseVersion) {
        throw new AppError('INTERNAL', { detail: `commit ${commit.version} on base ${baseVersion}, cursor at ${cursor.version}` });
      }
      await tx.clearPending(pending);
      const manifest = applyCommits({ version: cursor.version, segments: cursor.segments, tombstones: new Set(), settings: null }, [commit]);
      const kinds = new Map<string, SegmentKind | undefined>(cursor.segments.map((s) => [s.sha256, s.kind]));
      for (const s of segments) kinds.set(s.sha256, s.kind);
      const present = new Set(manifest.segments.map((s) => s.sha256));
      const applied = new Set([...cursor.applied.filter((h) => present.has(h)), ...segments.map((s) => s.sha256)]);
      await tx.setCursor({
        ...cursor,
        version: manifest.version,
        segments: manifest.segments.map((s) => {
          const kind = kinds.get(s.sha256);
          return kind === undefined ? { sha256: s.sha256, size: s.size } : { sha256: s.sha256, size: s.size, kind };
        }),
        applied: [...applied],
      });
    });
  }

  // ---- Compaction (C17) ----------------------------------------------------------------------------------------

  private async maybeCompact(report: SyncReport): Promise<boolean> {
    const { store } = this.deps;
    const cursor = await this.cursor();
    const applied = new Set(cursor.applied);
    if (cursor.segments.some((s) => !applied.has(s.sha256))) return false;
    if ((await store.transaction((tx) => tx.pending())).length > 0) return false;
    const snapshots = cursor.segments.filter((s) => s.kind === 'snapshot');
    const deltas = cursor.segments.filter((s) => s.kind !== 'snapshot');
    const snapshotBytes = snapshots.reduce((sum, s) => sum + s.size, 0);
    const deltaBytes = deltas.reduce((sum, s) => sum + s.size, 0);
    if (deltas.length < this.limits.compactAfterDeltas || deltaBytes <= snapshotBytes) return false;

    // One snapshot segment at a time: encoded, uploaded, then only its hash is kept (the vault can be gigabytes).
    const segments: Pick<EncodedSegment, 'sha256' | 'kind'>[] = [];
    let payload: SegmentPayload = { records: [], tombstones: (await store.allTombstones()).sort() };
    let bytes = 0;
    const send = async (): Promise<void> => {
      const segment = await encodeSegment(this.deps.cipher, this.deps.random, this.deps.keys, 'snapshot', payload);
      await this.upload([segment], report);
      segments.push({ sha256: segment.sha256, kind: segment.kind });
    };
    for await (const page of store.recordPages ? store.recordPages() : [await store.allRecords()]) {
      for (const record of page) {
        const size = JSON.stringify(record).length;
        if (bytes + size > this.limits.snapshotJsonBytes && payload.records.length > 0) {
          await send();
          payload = { records: [], tombstones: [] };
          bytes = 0;
        }
        payload.records.push(record);
        bytes += size;
      }
    }
    await send();
    const added = new Set(segments.map((s) => s.sha256));
    const removed = cursor.segments.map((s) => s.sha256).filter((h) => !added.has(h)).slice(0, MAX_HASHES_PER_REQUEST);
    const result = await this.deps.transport.commit({
      baseVersion: cursor.version,
      deviceId: this.deps.deviceId,
      addedSegments: segments.map((s) => s.sha256),
      removedSegments: removed,
      tombstones: [],
      settings: null,
      stats: null,
    });
    // Someone else committed meanwhile: compaction simply waits for a later sync.
    if (!result.ok) return false;
    await this.acknowledge(cursor.version, result.response.commit, segments, []);
    report.pushedSegments += segments.length;
    return true;
  }
}
