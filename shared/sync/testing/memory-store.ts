/* eslint-disable @typescript-eslint/require-await -- the ports are async; this adapter answers synchronously */
/**
 * The in-memory LocalStore: the second adapter beside Dexie, used by the simulation and the engine's tests.
 * Transactions run one at a time on a copy of the state and replace it only when they finish, so a throw (or a
 * simulated crash) leaves nothing half-written, as an IndexedDB transaction would.
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

function copy(state: State): State {
  return {
    records: new Map(state.records),
    tombstones: new Set(state.tombstones),
    cursor: structuredClone(state.cursor),
    pending: new Map(state.pending),
    seq: state.seq,
  };
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
      const draft = copy(this.state);
      const result = await fn(this.txOn(draft));
      this.state = draft;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private txOn(s: State): LocalTx {
    return {
      getRecord: async (key) => s.records.get(key),
      putRecord: async (record) => void s.records.set(recordKey(record), record),
      deleteRecord: async (key) => void s.records.delete(key),
      keysOwnedBy: async (key) => [...s.records.entries()].filter(([, r]) => ownerKeys(r).includes(key)).map(([k]) => k),
      hasTombstone: async (key) => s.tombstones.has(key),
      addTombstone: async (key) => void s.tombstones.add(key),
      getCursor: async () => structuredClone(s.cursor),
      setCursor: async (cursor) => void (s.cursor = structuredClone(cursor)),
      markPending: async (key) => {
        s.seq += 1;
        s.pending.set(key, s.seq);
      },
      pending: async (): Promise<PendingChange[]> => [...s.pending.entries()].map(([key, seq]) => ({ key, seq })).sort((a, b) => a.seq - b.seq),
      clearPending: async (acknowledged) => {
        for (const change of acknowledged) if (s.pending.get(change.key) === change.seq) s.pending.delete(change.key);
      },
    };
  }

  async allRecords(): Promise<SyncRecord[]> {
    await this.queue;
    return [...this.state.records.values()];
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
