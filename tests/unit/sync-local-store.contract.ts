/**
 * The LocalStore contract (shared/sync/ports.ts): every adapter the sync engine runs on (in-memory, Dexie) passes
 * the same suite, so the engine's tests on the in-memory store say something about the app's store too.
 */
import { describe, expect, it } from 'vitest';
import type { Conversation, MemoryNode } from '../../shared/model';
import { initialHlc } from '../../shared/sync/hlc';
import type { LocalStore } from '../../shared/sync/ports';
import { recordKey, type SyncRecord } from '../../shared/sync/records';
import { vaultDigest } from '../../shared/sync/vault-ops';

export interface LocalStoreUnderTest {
  store: LocalStore;
  close(): Promise<void>;
}

export const CONTRACT_DEVICE = 'device-a';

export function contractConversation(index: number, marker = `marker${index}`): Conversation {
  return {
    schemaVersion: 1,
    id: `claude:c${index}`,
    provider: 'claude',
    providerConversationId: `c${index}`,
    kind: 'chat',
    title: `Title ${marker}`,
    createdAt: 1,
    updatedAt: 2,
    model: null,
    messageCount: 2,
    nodeCount: 1,
    raw: `{"marker":"${marker}"}`,
  };
}

export function contractNode(index: number, conversationId: string, marker = `marker${index}`): MemoryNode {
  return {
    schemaVersion: 1,
    id: Buffer.alloc(32, index).toString('hex'),
    kind: 'exchange',
    provider: 'claude',
    conversationId,
    ordinal: 0,
    active: true,
    branchId: null,
    human: { text: `question about ${marker}`, messageIds: ['h'], createdAt: 1, model: null },
    assistant: { text: `answer about ${marker}`, messageIds: ['a'], createdAt: 2, model: null },
    extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
    attachments: [],
    createdAt: 1,
  };
}

/** One record of every type, all hanging off conversation 1 (directly or through its node). */
function everyType(): SyncRecord[] {
  const conversation = contractConversation(1);
  const node = contractNode(1, conversation.id);
  return [
    { type: 'conversation', id: conversation.id, value: conversation },
    { type: 'node', id: node.id, value: node },
    { type: 'vector', id: `remote-model|${node.id}`, nodeId: node.id, conversationId: conversation.id, model: 'remote-model', scale: 0.01, data: 'AQID' },
    { type: 'lww', id: `title:${conversation.id}`, value: 'Renamed', hlc: '0000000000001:0000:a' },
    { type: 'lww', id: `pin:node:${node.id}`, value: true, hlc: '0000000000001:0001:a' },
    { type: 'lww', id: 'setting:theme', value: { mode: 'dark' }, hlc: '0000000000001:0002:a' },
    { type: 'memory', id: 'm1', text: 'I like tea', hlc: '0000000000001:0003:a' },
    { type: 'note', id: `${conversation.id}|v1`, conversationId: conversation.id, version: 'v1', parents: [], base: '', text: 'a note' },
  ];
}

const sortKeys = (keys: string[]): string[] => [...keys].sort();

export function localStoreContract(name: string, open: () => Promise<LocalStoreUnderTest>): void {
  describe(`C19: LocalStore contract: ${name}`, () => {
    async function withStore(test: (store: LocalStore) => Promise<void>): Promise<void> {
      const subject = await open();
      try {
        await test(subject.store);
      } finally {
        await subject.close();
      }
    }

    it('stores and reads back every record type unchanged, inside and after the transaction', () =>
      withStore(async (store) => {
        const records = everyType();
        await store.transaction(async (tx) => {
          for (const record of records) await tx.putRecord(record);
          // Reads in the same transaction see the writes.
          for (const record of records) expect(await tx.getRecord(recordKey(record))).toEqual(record);
        });
        for (const record of records) expect(await store.transaction((tx) => tx.getRecord(recordKey(record)))).toEqual(record);
        expect(await store.transaction((tx) => tx.getRecord('node:missing'))).toBeUndefined();
        expect(await store.transaction((tx) => tx.getRecord('memory:missing'))).toBeUndefined();
        const all = await store.allRecords();
        expect(sortKeys(all.map(recordKey))).toEqual(sortKeys(records.map(recordKey)));
        for (const record of records) expect(all.find((r) => recordKey(r) === recordKey(record))).toEqual(record);
      }));

    it('replaces a record under the same key and deletes by key', () =>
      withStore(async (store) => {
        const [conversation, node] = everyType();
        if (conversation?.type !== 'conversation' || node?.type !== 'node') throw new Error('fixture order');
        const renamed: SyncRecord = { ...conversation, value: { ...conversation.value, title: 'Later title', updatedAt: 3 } };
        const branch: SyncRecord = { ...node, value: { ...node.value, active: false } };
        await store.transaction(async (tx) => {
          await tx.putRecord(conversation);
          await tx.putRecord(node);
        });
        await store.transaction(async (tx) => {
          await tx.putRecord(renamed);
          await tx.putRecord(branch);
        });
        expect(await store.transaction((tx) => tx.getRecord(recordKey(conversation)))).toEqual(renamed);
        expect(await store.transaction((tx) => tx.getRecord(recordKey(node)))).toEqual(branch);
        await store.transaction(async (tx) => {
          await tx.deleteRecord(recordKey(node));
          await tx.deleteRecord('memory:never-stored');
        });
        expect(await store.transaction((tx) => tx.getRecord(recordKey(node)))).toBeUndefined();
        expect((await store.allRecords()).map(recordKey)).toEqual([recordKey(conversation)]);
      }));

    it('lists what a key owns: a conversation its nodes, vectors, title and note; a node its vector and pin', () =>
      withStore(async (store) => {
        const records = everyType();
        const other = contractConversation(2);
        const otherNode = contractNode(2, other.id);
        await store.transaction(async (tx) => {
          for (const record of records) await tx.putRecord(record);
          await tx.putRecord({ type: 'conversation', id: other.id, value: other });
          await tx.putRecord({ type: 'node', id: otherNode.id, value: otherNode });
        });
        const node = contractNode(1, 'claude:c1');
        await store.transaction(async (tx) => {
          expect(sortKeys(await tx.keysOwnedBy('conversation:claude:c1'))).toEqual(
            sortKeys([`node:${node.id}`, `vector:remote-model|${node.id}`, 'lww:title:claude:c1', 'note:claude:c1|v1']),
          );
          expect(sortKeys(await tx.keysOwnedBy(`node:${node.id}`))).toEqual(sortKeys([`vector:remote-model|${node.id}`, `lww:pin:node:${node.id}`]));
          expect(await tx.keysOwnedBy(`conversation:${other.id}`)).toEqual([`node:${otherNode.id}`]);
          expect(await tx.keysOwnedBy('memory:m1')).toEqual([]);
        });
      }));

    it('keeps tombstones, once each', () =>
      withStore(async (store) => {
        await store.transaction(async (tx) => {
          expect(await tx.hasTombstone('node:x')).toBe(false);
          await tx.addTombstone('node:x');
          await tx.addTombstone('node:x');
          await tx.addTombstone('conversation:y');
          expect(await tx.hasTombstone('node:x')).toBe(true);
        });
        expect(sortKeys(await store.allTombstones())).toEqual(['conversation:y', 'node:x']);
      }));

    it('starts at cursor version 0 with this device clock, and keeps what is set', () =>
      withStore(async (store) => {
        expect(await store.transaction((tx) => tx.getCursor())).toEqual({ version: 0, segments: [], applied: [], hlc: initialHlc(CONTRACT_DEVICE) });
        const cursor = {
          version: 7,
          segments: [
            { sha256: 'a'.repeat(64), size: 10, kind: 'snapshot' as const },
            { sha256: 'b'.repeat(64), size: 20 },
          ],
          applied: ['a'.repeat(64)],
          hlc: '0000000000009:0000:device-a',
        };
        await store.transaction((tx) => tx.setCursor(cursor));
        expect(await store.transaction((tx) => tx.getCursor())).toEqual(cursor);
      }));

    it('numbers pending changes in order, moves a key changed again, and clears only acknowledged numbers', () =>
      withStore(async (store) => {
        await store.transaction(async (tx) => {
          await tx.markPending('node:a');
          await tx.markPending('node:b');
        });
        const first = await store.transaction((tx) => tx.pending());
        expect(first.map((p) => p.key)).toEqual(['node:a', 'node:b']);
        expect(first[0]!.seq).toBeLessThan(first[1]!.seq);
        // node:a changes again while `first` is being pushed: its acknowledgement must not clear the new change.
        await store.transaction((tx) => tx.markPending('node:a'));
        await store.transaction((tx) => tx.clearPending(first));
        const left = await store.transaction((tx) => tx.pending());
        expect(left.map((p) => p.key)).toEqual(['node:a']);
        expect(left[0]!.seq).toBeGreaterThan(first[1]!.seq);
        await store.transaction((tx) => tx.clearPending(left));
        // A number is never reused after its entry was cleared.
        await store.transaction((tx) => tx.markPending('node:c'));
        const [again] = await store.transaction((tx) => tx.pending());
        expect(again!.seq).toBeGreaterThan(left[0]!.seq);
      }));

    it('rolls back everything a throwing transaction did', () =>
      withStore(async (store) => {
        const records = everyType();
        await store.transaction(async (tx) => {
          await tx.putRecord(records[0]!);
          await tx.putRecord(records[1]!);
        });
        const before = await vaultDigest(store);
        const failure = new Error('crash mid-merge');
        await expect(
          store.transaction(async (tx) => {
            for (const record of records) await tx.putRecord(record);
            await tx.deleteRecord(recordKey(records[1]!));
            await tx.addTombstone('conversation:claude:c9');
            await tx.setCursor({ version: 3, segments: [], applied: [], hlc: 'x' });
            await tx.markPending('node:z');
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await vaultDigest(store)).toBe(before);
        expect(await store.transaction((tx) => tx.getCursor())).toMatchObject({ version: 0 });
        expect(await store.transaction((tx) => tx.pending())).toEqual([]);
      }));

    it('runs overlapping transactions one after the other (no lost update)', () =>
      withStore(async (store) => {
        const bump = () =>
          store.transaction(async (tx) => {
            const cursor = await tx.getCursor();
            await tx.setCursor({ ...cursor, version: cursor.version + 1 });
          });
        await Promise.all([bump(), bump(), bump(), bump()]);
        expect((await store.transaction((tx) => tx.getCursor())).version).toBe(4);
      }));
  });
}
