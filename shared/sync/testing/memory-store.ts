/* eslint-disable @typescript-eslint/require-await -- the ports are async; this adapter answers synchronously */
/**
 * The in-memory LocalStore: the second adapter beside Dexie, used by the simulation and the engine's tests.
 * Transactions run one at a time; their writes stay in a draft that is applied only when they finish, so a throw (or
 * a simulated crash) leaves nothing half-written, as an IndexedDB transaction would.
 */
import { initialHlc } from '../hlc';
import type { LocalStore, LocalTx, PendingChange, SyncCursor } from '../ports';
import { ownerKeys, recordKey, type SyncRecord } from '../records';

interface State {
  records: Map<string, SyncRecord>;
  tombstones: Set<string>;
  cursor: SyncCursor;
  pending: Map<string, number>;
  seq: number;
}

/**
 * A transaction's writes, kept apart from the state until it commits (copy-on-write per key, so a transaction costs
 * what it touches, not the size of the vault). `null` marks a deletion.
 */
interface Draft {
  records: Map<string, SyncRecord | null>;
  tombstones: Set<string>;
  cursor: SyncCursor | null;
  pending: Map<string, number | null>;
  seq: number;
}

function commit(state: State, draft: Draft): void {
  for (const [key, record] of draft.records) {
    if (record === null) state.records.delete(key);
    else state.records.set(key, record);
  }
  for (const key of draft.tombstones) state.tombstones.add(key);
  if (draft.cursor !== null) state.cursor = draft.cursor;
  for (const [key, seq] of draft.pending) {
    if (seq === null) state.pending.delete(key);
    else state.pending.set(key, seq);
  }
  state.seq = draft.seq;
}

export class MemoryStore implements LocalStore {
  private state: State;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deviceId: string) {
    this.state = {
      records: new Map(),
      tombstones: new Set(),
      cursor: { version: 0, segments: [], applied: [], hlc: initialHlc(deviceId) },
      pending: new Map(),
      seq: 0,
    };
  }

  transaction<T>(fn: (tx: LocalTx) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const draft: Draft = { records: new Map(), tombstones: new Set(), cursor: null, pending: new Map(), seq: this.state.seq };
      const result = await fn(this.txOn(this.state, draft));
      commit(this.state, draft);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private txOn(s: State, d: Draft): LocalTx {
    const record = (key: string): SyncRecord | undefined => {
      const drafted = d.records.get(key);
      return drafted === undefined ? s.records.get(key) : (drafted ?? undefined);
    };
    const pendingSeq = (key: string): number | undefined => {
      const drafted = d.pending.get(key);
      return drafted === undefined ? s.pending.get(key) : (drafted ?? undefined);
    };
    const pendingKeys = (): string[] =>
      d.pending.size === 0 ? [...s.pending.keys()] : [...new Set([...s.pending.keys(), ...d.pending.keys()])].filter((k) => pendingSeq(k) !== undefined);
    return {
      getRecord: async (key) => record(key),
      putRecord: async (r) => void d.records.set(recordKey(r), r),
      deleteRecord: async (key) => void d.records.set(key, null),
      keysOwnedBy: async (key) =>
        [...new Set([...s.records.keys(), ...d.records.keys()])].filter((k) => {
          const r = record(k);
          return r !== undefined && ownerKeys(r).includes(key);
        }),
      hasTombstone: async (key) => d.tombstones.has(key) || s.tombstones.has(key),
      addTombstone: async (key) => void d.tombstones.add(key),
      getCursor: async () => structuredClone(d.cursor ?? s.cursor),
      setCursor: async (cursor) => void (d.cursor = structuredClone(cursor)),
      markPending: async (key) => {
        d.seq += 1;
        d.pending.set(key, d.seq);
      },
      pending: async (): Promise<PendingChange[]> => pendingKeys().map((key) => ({ key, seq: pendingSeq(key)! })).sort((a, b) => a.seq - b.seq),
      clearPending: async (acknowledged) => {
        for (const change of acknowledged) if (pendingSeq(change.key) === change.seq) d.pending.set(change.key, null);
      },
      tombstonedAmong: async (keys) => new Set(keys.filter((key) => d.tombstones.has(key) || s.tombstones.has(key))),
      getRecords: async (keys) => keys.map(record),
      putRecords: async (records) => {
        for (const r of records) d.records.set(recordKey(r), r);
      },
    };
  }

  async allRecords(): Promise<SyncRecord[]> {
    await this.queue;
    return [...this.state.records.values()];
  }

  /** Pages of two records, so the engine's compaction streams its snapshot here as it does from SQLite. */
  async *recordPages(): AsyncIterable<SyncRecord[]> {
    const all = await this.allRecords();
    for (let i = 0; i < all.length; i += 2) yield all.slice(i, i + 2);
  }

  async allTombstones(): Promise<string[]> {
    await this.queue;
    return [...this.state.tombstones];
  }

  /** For assertions: pending keys right now. */
  pendingCount(): number {
    return this.state.pending.size;
  }
}
