// db/node-store.ts: how nodes are cut into chunk rows (Dexie v7), and reads and writes through NodeStore on
// fake-indexeddb (the v6 -> v7 upgrade is tested in db.test.ts).
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyExtras } from '../../shared/model';
import { openVaultDatabase, type NodeRow, type VaultDatabase } from '../../web/src/db/database';
import { CHUNK_BYTES, NODES_PER_CHUNK, prepareChunks, READ_DIRECT } from '../../web/src/db/node-store';
import { deleteNodes, fromNodeRow, putNodes } from '../../web/src/db/vault-writes';

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
    expect(cut.length).toBeGreaterThan(2);
    expect(cut.flatMap((c) => c.ids)).toEqual(small.map((r) => r.id));
    expect(cut.flatMap((c) => c.conversationIds)).toEqual(small.map((r) => r.conversationId));
    const docIdOf = new Map(small.map((r) => [r.id, r.docId]));
    expect(cut.map((c) => c.id)).toEqual(cut.map((c) => docIdOf.get(c.ids[0] ?? '')));
    expect(cut.map((d) => d.nodes.map((json) => (JSON.parse(json) as NodeRow).id))).toEqual(cut.map((c) => c.ids));
    // Rows smaller than CHUNK_BYTES / NODES_PER_CHUNK stop at the node cap.
    const bare = small.slice(0, 2 * NODES_PER_CHUNK + 3).map((r) => ({ ...r, extras: undefined, attachments: undefined, human: undefined }) as unknown as NodeRow);
    expect(prepareChunks(bare).map((c) => c.ids.length)).toEqual([NODES_PER_CHUNK, NODES_PER_CHUNK, 3]);

    // The same length of text, Latin-1 against wider characters (’ is U+2019): the wide chunks hold half as many.
    const latin = prepareChunks(Array.from({ length: 60 }, (_, i) => row(i, 'é'.repeat(CHUNK_BYTES / 6))));
    const wide = prepareChunks(Array.from({ length: 60 }, (_, i) => row(i, '’'.repeat(CHUNK_BYTES / 6))));
    expect(latin.length).toBeGreaterThan(1);
    expect(wide.length).toBeGreaterThanOrEqual(2 * latin.length - 1);
    for (const prepared of [latin, wide]) {
      for (const data of prepared) {
        const bytes = data.nodes.reduce((n, json) => n + bytesOf(json), 0);
        // A chunk passes the budget only by its last node, and a single node larger than it has a chunk of its own.
        expect(bytes - bytesOf(data.nodes[data.nodes.length - 1] ?? '')).toBeLessThanOrEqual(CHUNK_BYTES);
      }
      expect(prepared.flatMap((c) => c.ids)).toEqual(Array.from({ length: 60 }, (_, i) => row(i, '').id));
    }
    expect(prepareChunks([row(1, 'x'.repeat(CHUNK_BYTES * 2)), row(2, 'y')]).map((c) => c.ids.length)).toEqual([1, 1]);
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
    const nodes = Array.from({ length: 130 }, (_, i) => fromNodeRow(row(i, `text ${i}`)));
    await putNodes(db, nodes);
    const chunks = await db.nodeData.count();
    expect(chunks).toBeGreaterThanOrEqual(130 / NODES_PER_CHUNK);
    expect(chunks).toBeLessThan(130 / 2);
    expect(await db.nodes.count()).toBe(130);

    const rows = await db.nodes.bulkGet(nodes.map((n) => n.id));
    // Above READ_DIRECT ids, the chunks are located first and each read once: the same answers as one id at a time,
    // an absent id and a repeated one included.
    expect(nodes.length).toBeGreaterThan(READ_DIRECT);
    const asked = [...nodes.map((n) => n.id).reverse(), 'f'.repeat(64), nodes[3]!.id];
    const oneByOne = await Promise.all(asked.map((id) => db.nodes.get(id)));
    expect(await db.nodes.bulkGet(asked)).toEqual(oneByOne);
    expect(oneByOne.map((r) => r?.id)).toEqual([...nodes.map((n) => n.id).reverse(), undefined, nodes[3]!.id]);
    const changed = { ...nodes[5]!, human: { ...nodes[5]!.human, text: 'changed text' } };
    await putNodes(db, [changed]);
    expect(fromNodeRow((await db.nodes.get(changed.id))!)).toEqual(changed);
    expect(await db.nodeData.count()).toBe(chunks);

    // A whole chunk and one node of another: the first chunk goes, rows and index alike.
    const [first] = await db.nodeData.orderBy('id').limit(1).toArray();
    const whole = first?.ids ?? [];
    expect(whole.length).toBeGreaterThan(1);
    const other = nodes.find((n) => !whole.includes(n.id))!;
    await deleteNodes(db, [...whole, other.id, 'f'.repeat(64)]);
    expect(await db.nodeData.get(first!.id)).toBeUndefined();
    expect(await db.nodeData.count()).toBe(chunks - 1);
    const left = 130 - whole.length - 1;
    expect(await db.nodes.count()).toBe(left);
    expect(new Set(await db.nodes.allIds())).toEqual(new Set(nodes.map((n) => n.id).filter((id) => id !== other.id && !whole.includes(id))));
    expect(await db.nodes.bulkGet([whole[0]!, other.id, nodes[129]!.id])).toEqual([undefined, undefined, rows[129]]);
    const c0 = nodes.filter((n) => n.conversationId === 'chatgpt:c0' && !whole.includes(n.id) && n.id !== other.id);
    expect((await db.nodes.ofConversation('chatgpt:c0')).map((r) => r.id)).toEqual(c0.map((n) => n.id));
    expect(await db.nodes.idsOfConversation('chatgpt:c13')).toEqual([]);
    expect((await db.nodes.ofConversations(['chatgpt:c1', 'chatgpt:c13', 'chatgpt:c2'])).get('chatgpt:c2')?.map((r) => r.id)).toEqual(nodes.slice(20, 30).map((n) => n.id).filter((id) => id !== other.id && !whole.includes(id)));
  });
});
