// db/node-store.ts: how nodes are cut into chunk rows (Dexie v7), and reads and writes through NodeStore on
// fake-indexeddb (the v6 -> v7 upgrade is tested in db.test.ts).
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyExtras } from '../../shared/model';
import { openVaultDatabase, type NodeRow, type VaultDatabase } from '../../web/src/db/database';
import { CHUNK_BYTES, NODE_TABLES, NODES_PER_CHUNK, prepareChunks } from '../../web/src/db/node-store';

function row(i: number, text: string, conversation = `chatgpt:c${Math.floor(i / 10)}`): NodeRow {
  return {
    schemaVersion: 1,
    id: i.toString(16).padStart(64, '0'),
    kind: 'exchange',
    provider: 'chatgpt',
    conversationId: conversation,
    ordinal: i % 10,
    active: true,
    branchId: null,
    human: { text, messageIds: [], createdAt: null, model: null },
    assistant: null,
    extras: emptyExtras(),
    attachments: [],
    createdAt: null,
    docId: 1000 + i,
    isActive: 1,
  };
}

const bytesOf = (json: string): number => (/[^\u0000-\u00ff]/u.test(json) ? json.length * 2 : json.length);

describe('prepareChunks', () => {
  it('cuts at NODES_PER_CHUNK nodes or about CHUNK_BYTES, counting two bytes a character for wide text, numbered by the first docId', () => {
    const small = Array.from({ length: 250 }, (_, i) => row(i, 'tiny'));
    const cut = prepareChunks(small);
    expect(cut.chunks.length).toBeGreaterThan(2);
    expect(cut.chunks.flatMap((c) => c.ids)).toEqual(small.map((r) => r.id));
    const docIdOf = new Map(small.map((r) => [r.id, r.docId]));
    expect(cut.chunks.map((c) => c.id)).toEqual(cut.chunks.map((c) => docIdOf.get(c.ids[0] ?? '')));
    expect(cut.data.map((d) => d.id)).toEqual(cut.chunks.map((c) => c.id));
    expect(cut.data.map((d) => d.nodes.map((json) => (JSON.parse(json) as NodeRow).id))).toEqual(cut.chunks.map((c) => c.ids));
    // Rows smaller than CHUNK_BYTES / NODES_PER_CHUNK stop at the node cap.
    const bare = small.map((r) => ({ ...r, extras: undefined, attachments: undefined, human: undefined }) as unknown as NodeRow);
    expect(prepareChunks(bare).chunks.map((c) => c.ids.length)).toEqual([NODES_PER_CHUNK, NODES_PER_CHUNK, 50]);

    // The same length of text, Latin-1 against wider characters (’ is U+2019): the wide chunks hold half as many.
    const latin = prepareChunks(Array.from({ length: 60 }, (_, i) => row(i, 'é'.repeat(2_000))));
    const wide = prepareChunks(Array.from({ length: 60 }, (_, i) => row(i, '’'.repeat(2_000))));
    expect(latin.chunks.length).toBeGreaterThan(1);
    expect(wide.chunks.length).toBeGreaterThanOrEqual(2 * latin.chunks.length - 1);
    for (const prepared of [latin, wide]) {
      for (const data of prepared.data) {
        const bytes = data.nodes.reduce((n, json) => n + bytesOf(json), 0);
        // A chunk passes the budget only by its last node, and a single node larger than it has a chunk of its own.
        expect(bytes - bytesOf(data.nodes[data.nodes.length - 1] ?? '')).toBeLessThanOrEqual(CHUNK_BYTES);
      }
      expect(prepared.chunks.flatMap((c) => c.ids)).toEqual(Array.from({ length: 60 }, (_, i) => row(i, '').id));
    }
    expect(prepareChunks([row(1, 'x'.repeat(CHUNK_BYTES * 2)), row(2, 'y')]).chunks.map((c) => c.ids.length)).toEqual([1, 1]);
  });
});

describe('NodeStore', () => {
  const names: string[] = [];
  const opened: VaultDatabase[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) db.close();
    for (const name of names.splice(0)) await Dexie.delete(name);
  });
  async function fresh(): Promise<VaultDatabase> {
    const name = `node-store-${process.pid}-${names.length}`;
    names.push(name);
    const db = await openVaultDatabase({ name });
    opened.push(db);
    return db;
  }

  it('replaces a node in its chunk, deletes nodes (and a chunk left empty), and reads see every change', async () => {
    const db = await fresh();
    const rows = Array.from({ length: 130 }, (_, i) => row(i, `text ${i}`));
    await db.transaction('rw', [...NODE_TABLES], () => db.nodes.add(rows));
    expect(await db.nodeChunks.count()).toBe(2);

    const changed = { ...row(5, 'changed text'), docId: 5000 };
    await db.transaction('rw', [...NODE_TABLES], () => db.nodes.put([changed]));
    expect(await db.nodes.get(changed.id)).toEqual(changed);
    expect(await db.nodeChunks.count()).toBe(2);

    const second = (await db.nodeChunks.toArray())[1]?.ids ?? [];
    expect(second.length).toBeGreaterThan(10);
    const removed = await db.transaction('rw', [...NODE_TABLES], () => db.nodes.delete([...second, rows[0]?.id ?? '', 'f'.repeat(64)]));
    expect(removed.map((r) => r.id).sort()).toEqual([...second, rows[0]?.id].sort());
    // The second chunk is gone, directory and data.
    expect(await db.nodeChunks.count()).toBe(1);
    expect(await db.nodeData.count()).toBe(1);
    expect(await db.nodes.count()).toBe(130 - 1 - second.length);
    expect(await db.nodes.bulkGet([rows[0]?.id ?? '', rows[1]?.id ?? '', rows[129]?.id ?? ''])).toEqual([undefined, rows[1], undefined]);
    expect((await db.nodes.ofConversation('chatgpt:c0')).map((r) => r.ordinal)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await db.nodes.idsOfConversation('chatgpt:c12')).toEqual([]);
    expect((await db.nodes.ofConversations(['chatgpt:c1', 'chatgpt:c12', 'chatgpt:c2'])).get('chatgpt:c2')?.map((r) => r.id)).toEqual(rows.slice(20, 30).map((r) => r.id));
    expect((await db.nodes.allIds()).length).toBe(130 - 1 - second.length);
  });
});
