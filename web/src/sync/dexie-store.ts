/**
 * The sync engine's LocalStore over the vault's Dexie database (the in-memory one is shared/sync/testing).
 * Conversations and nodes ARE the app's own rows, written through db/vault-writes.ts, so a pulled node is searchable
 * and a pulled deletion leaves search and the vectors in the same transaction. The other synced records (remote
 * vectors, titles/pins/tags/settings, memories, note versions) live in `syncRecords` with the keys that own them.
 *
 *   new DexieStore(db: VaultDatabase, deviceId: string)   implements LocalStore (shared/sync/ports.ts)
 */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { initialHlc } from '../../../shared/sync/hlc';
import type { LocalStore, LocalTx, PendingChange, SyncCursor } from '../../../shared/sync/ports';
import { sha256HexSchema } from '../../../shared/sync/protocol';
import { ownerKeys, recordKey, syncRecordSchema, type SyncRecord } from '../../../shared/sync/records';
import { SEGMENT_KINDS } from '../../../shared/sync/segment';
import { fromConversationRow, translateStorageError, withStorageErrors, type VaultDatabase } from '../db/database';
import { clearPendingChanges, lastPendingSeq, markPendingKeys, readPendingChanges, SYNC_BOOKKEEPING_TABLES, tombstonedKeys, writePendingBatch } from '../db/sync-bookkeeping';
import { NODE_TABLES } from '../db/node-store';
import { fromNodeRow, VAULT_WRITE_TABLES, VaultWriter } from '../db/vault-writes';

const CURSOR_KEY = 'sync.cursor';
const SYNC_TABLES = ['syncRecords', ...SYNC_BOOKKEEPING_TABLES] as const;

const cursorSchema = z.object({
  version: z.number().int().nonnegative(),
  segments: z.array(z.object({ sha256: sha256HexSchema, size: z.number().int().nonnegative(), kind: z.enum(SEGMENT_KINDS).optional() })),
  applied: z.array(sha256HexSchema),
  hlc: z.string().min(1),
});

/** Where a record key lives: the app's own tables for conversations and nodes, `syncRecords` for the rest. */
function split(key: string): { type: string; id: string } {
  const colon = key.indexOf(':');
  return colon < 0 ? { type: '', id: key } : { type: key.slice(0, colon), id: key.slice(colon + 1) };
}

function parseRecord(value: unknown, key: string): SyncRecord {
  const parsed = syncRecordSchema.safeParse(value);
  if (!parsed.success) throw new AppError('STORAGE_FAILED', { detail: `stored sync record ${key} does not match its schema` });
  return parsed.data;
}

export class DexieStore implements LocalStore {
  constructor(
    private readonly db: VaultDatabase,
    private readonly deviceId: string,
  ) {}

  async transaction<T>(fn: (tx: LocalTx) => Promise<T>): Promise<T> {
    const { db } = this;
    // The caller's own failure (the engine's AppError, a simulated crash) rolls back and comes back unchanged;
    // only what IndexedDB itself throws is translated into a storage error.
    let callerError: { error: unknown } | null = null;
    try {
      return await db.transaction('rw', [...VAULT_WRITE_TABLES, ...SYNC_TABLES], async () => {
        const writer = new VaultWriter(db);
        let result: T;
        try {
          result = await fn(this.txOn(writer));
        } catch (error) {
          callerError = { error };
          throw error;
        }
        // The keyword-index changes of every node written above, as one segment, before the transaction commits.
        await writer.flush();
        return result;
      });
    } catch (error) {
      if (callerError !== null) throw (callerError as { error: unknown }).error;
      throw translateStorageError(error);
    }
  }

  private txOn(writer: VaultWriter): LocalTx {
    const { db } = this;
    return {
      getRecord: async (key) => {
        const { type, id } = split(key);
        if (type === 'conversation') {
          const [row, raw] = await Promise.all([db.conversations.get(id), db.conversationRaws.get(id)]);
          return row ? { type: 'conversation', id, value: fromConversationRow(row, raw?.raw ?? '') } : undefined;
        }
        if (type === 'node') {
          const row = await writer.get(id);
          return row ? { type: 'node', id, value: fromNodeRow(row) } : undefined;
        }
        const row = await db.syncRecords.get(key);
        return row ? parseRecord(row.record, key) : undefined;
      },
      putRecord: async (record) => {
        if (record.type === 'conversation') return writer.putConversations([record.value]);
        if (record.type === 'node') return void (await writer.put([record.value]));
        await db.syncRecords.put({ key: recordKey(record), owners: ownerKeys(record), record });
        writer.titles.recordPut(record);
      },
      deleteRecord: async (key) => {
        const { type, id } = split(key);
        if (type === 'conversation') {
          // Only the conversation itself: what it owns is deleted key by key by the caller (keysOwnedBy).
          await db.conversations.delete(id);
          await db.conversationRaws.delete(id);
          writer.titles.deleted(id);
        } else if (type === 'node') {
          await writer.delete([id]);
        } else {
          await db.syncRecords.delete(key);
          writer.titles.recordDeleted(key);
        }
      },
      keysOwnedBy: async (key) => {
        const { type, id } = split(key);
        const nodes = type === 'conversation' ? (await writer.nodeIdsOf(id)).map((nodeId) => `node:${nodeId}`) : [];
        const others = await db.syncRecords.where('owners').equals(key).primaryKeys();
        return [...nodes, ...others];
      },
      hasTombstone: async (key) => (await db.syncTombstones.get(key)) !== undefined,
      addTombstone: async (key) => void (await db.syncTombstones.put({ key })),
      getCursor: async () => {
        const row = await db.syncState.get(CURSOR_KEY);
        if (!row) return { version: 0, segments: [], applied: [], hlc: initialHlc(this.deviceId) };
        const parsed = cursorSchema.safeParse(row.value);
        if (!parsed.success) throw new AppError('STORAGE_FAILED', { detail: 'stored sync cursor does not match its schema' });
        return parsed.data;
      },
      setCursor: async (cursor: SyncCursor) => void (await db.syncState.put({ key: CURSOR_KEY, value: cursor })),
      // A counter that only grows: a change number is never reused, even after its entry was cleared.
      markPending: (key) => markPendingKeys(db, [key]),
      pending: (): Promise<PendingChange[]> => readPendingChanges(db),
      clearPending: (acknowledged) => clearPendingChanges(db, acknowledged),
      tombstonedAmong: (keys) => tombstonedKeys(db, keys),
      getRecords: async (keys) => {
        const byType = { conversation: [] as number[], node: [] as number[], other: [] as number[] };
        const ids = keys.map((key, i) => {
          const { type, id } = split(key);
          (type === 'conversation' ? byType.conversation : type === 'node' ? byType.node : byType.other).push(i);
          return id;
        });
        const [conversations, raws, nodes, others] = await Promise.all([
          db.conversations.bulkGet(byType.conversation.map((i) => ids[i]!)),
          db.conversationRaws.bulkGet(byType.conversation.map((i) => ids[i]!)),
          writer.getMany(byType.node.map((i) => ids[i]!)),
          db.syncRecords.bulkGet(byType.other.map((i) => keys[i]!)),
        ]);
        const out: (SyncRecord | undefined)[] = keys.map(() => undefined);
        byType.conversation.forEach((at, j) => {
          const row = conversations[j];
          if (row) out[at] = { type: 'conversation', id: row.id, value: fromConversationRow(row, raws[j]?.raw ?? '') };
        });
        byType.node.forEach((at, j) => {
          const row = nodes[j];
          if (row) out[at] = { type: 'node', id: row.id, value: fromNodeRow(row) };
        });
        byType.other.forEach((at, j) => {
          const row = others[j];
          if (row) out[at] = parseRecord(row.record, keys[at]!);
        });
        return out;
      },
      putRecords: async (records) => {
        const conversations = records.flatMap((r) => (r.type === 'conversation' ? [r.value] : []));
        const nodes = records.flatMap((r) => (r.type === 'node' ? [r.value] : []));
        const others = records.filter((r) => r.type !== 'conversation' && r.type !== 'node');
        if (conversations.length > 0) await writer.putConversations(conversations);
        if (nodes.length > 0) await writer.put(nodes);
        if (others.length > 0) {
          await db.syncRecords.bulkPut(others.map((record) => ({ key: recordKey(record), owners: ownerKeys(record), record })));
          for (const record of others) writer.titles.recordPut(record);
        }
      },
    };
  }

  async allRecords(): Promise<SyncRecord[]> {
    const { db } = this;
    return withStorageErrors(() =>
      db.transaction('r', ['conversations', 'conversationRaws', ...NODE_TABLES, 'syncRecords'], async () => {
        const [conversations, raws, nodes, others] = await Promise.all([
          db.conversations.toArray(),
          db.conversationRaws.toArray(),
          db.nodes.all(),
          db.syncRecords.toArray(),
        ]);
        const rawOf = new Map(raws.map((r) => [r.id, r.raw]));
        return [
          ...conversations.map((row): SyncRecord => ({ type: 'conversation', id: row.id, value: fromConversationRow(row, rawOf.get(row.id) ?? '') })),
          ...nodes.map((row): SyncRecord => ({ type: 'node', id: row.id, value: fromNodeRow(row) })),
          ...others.map((row) => parseRecord(row.record, row.key)),
        ];
      }),
    );
  }

  /**
   * Marks every record of this vault pending (C20): what "Push everything" and a device's first unlock do, so data
   * that was here before sync (or before imports marked their records) reaches the vault. One transaction.
   */
  async markAllPending(): Promise<number> {
    const { db } = this;
    return withStorageErrors(() =>
      db.transaction('rw', ['conversations', ...NODE_TABLES, 'syncRecords', ...SYNC_BOOKKEEPING_TABLES], async () => {
        const [conversations, nodes, others] = await Promise.all([
          db.conversations.toCollection().primaryKeys(),
          db.nodes.allIds(),
          db.syncRecords.toCollection().primaryKeys(),
        ]);
        const keys = [...conversations.map((id) => `conversation:${id}`), ...nodes.map((id) => `node:${id}`), ...others];
        await writePendingBatch(db, keys, await lastPendingSeq(db));
        return keys.length;
      }),
    );
  }

  async allTombstones(): Promise<string[]> {
    return withStorageErrors(() => this.db.syncTombstones.toCollection().primaryKeys());
  }
}
