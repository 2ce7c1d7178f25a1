// db/node-store.ts: how nodes are cut into chunk rows (Dexie v7), and reads and writes through NodeStore on
// fake-indexeddb (the v6 -> v7 upgrade is tested in db.test.ts).
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyExtras } from '../../shared/model';
import { openVaultDatabase, type NodeRow, type VaultDatabase } from '../../web/src/db/database';
import { CHUNK_BYTES, NODE_TABLES, NODES_PER_CHUNK, prepareChunks, READ_BY_INDEX_PLACES, READ_DIRECT } from '../../web/src/db/node-store';
import { deleteNodes, fromNodeRow, putNodes, writeVault } from '../../web/src/db/vault-writes';
import { compactSearchIndex } from '../../web/src/search/keyword-index';
import { KeywordSearch } from '../../web/src/search/keyword-search';
import { countIdsLookups, expectChunksRecorded } from './chunk-places';

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
    // The index records each node's chunk: new nodes' (written by flush) and the replaced node's (indexed again).
    expect(await expectChunksRecorded(db)).toBe(130);

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
    // Deleting rewrote the docs rows that listed the deleted nodes, and compaction merges them: chunks kept.
    expect(await expectChunksRecorded(db)).toBe(left);
    await compactSearchIndex(db);
    expect(await expectChunksRecorded(db)).toBe(left);
  });

  it('bulkGetPlaced reads the chunks named by primary key, and looks up by index an id with no chunk named or not in the one named', async () => {
    const db = await fresh();
    const nodes = Array.from({ length: 40 }, (_, i) => fromNodeRow(row(i, `text ${i}`)));
    await putNodes(db, nodes);
    const placed = new Map<string, number>();
    for (const chunk of await db.nodeData.toArray()) for (const id of chunk.ids) placed.set(id, chunk.id);
    const ids = [nodes[3]!.id, nodes[30]!.id, nodes[17]!.id, 'f'.repeat(64), nodes[3]!.id, nodes[9]!.id];
    const right = ids.map((id) => placed.get(id) ?? 0);
    const expected = await Promise.all(ids.map((id) => db.nodes.get(id)));
    expect(expected.map((n) => n?.id)).toEqual([ids[0], ids[1], ids[2], undefined, ids[0], ids[5]]);

    const lookups = await countIdsLookups(db);
    expect(await db.nodes.bulkGetPlaced(ids, right)).toEqual(expected);
    // The absent id named no chunk: the only look-up.
    expect(lookups.count).toBe(1);
    lookups.count = 0;
    // Wrong chunks (another chunk, one that does not exist) and none at all: found by the index all the same.
    const wrong = right.map((n, i) => (i === 0 ? (placed.get(nodes[30]!.id) ?? 0) : i === 1 ? 999_999 : i === 2 ? 0 : n));
    expect(await db.nodes.bulkGetPlaced(ids, wrong)).toEqual(expected);
    expect(lookups.count).toBe(4);

    // A search's page reads by the chunks its index recorded: no look-up by the `ids` index.
    lookups.count = 0;
    const hits = await new KeywordSearch(db).search('text', {}, 20);
    expect(hits.length).toBe(20);
    expect(hits.every((hit) => hit.node?.id === hit.nodeId)).toBe(true);
    expect(lookups.count).toBe(0);
  });

  it('pages of search hits take the chunks read under the same index version from memory, and see a write made by another connection', async () => {
    const db = await fresh();
    const nodes = Array.from({ length: 40 }, (_, i) => fromNodeRow(row(i, `text ${i}`)));
    await putNodes(db, nodes);
    const search = new KeywordSearch(db);
    const first = await search.search('text', {}, 50);
    expect(first.length).toBe(40);
    const { asked, kept } = db.nodes.pageChunks;
    expect(asked).toBeGreaterThan(0);
    expect(kept).toBe(0);
    // The same page again: every chunk from memory, the same hits (fresh objects: a caller's change stays its own).
    first[0]!.node!.human.text = 'changed by the caller';
    const again = await search.search('text', {}, 50);
    expect(db.nodes.pageChunks.asked - asked).toBe(asked);
    expect(db.nodes.pageChunks.kept).toBe(asked);
    expect(again.map((hit) => hit.node?.human.text ?? '').sort()).toEqual(nodes.map((n) => n.human.text).sort());

    // Another connection (an import worker, another tab, a pull) replaces a node in its chunk: the next search shows it.
    const other = await openVaultDatabase({ name: db.name });
    opened.push(other);
    const target = nodes[7]!;
    await putNodes(other, [{ ...target, human: { ...target.human, text: 'text 7 rewritten elsewhere' } }]);
    const after = await search.search('text', {}, 50);
    expect(after.find((hit) => hit.nodeId === target.id)?.node?.human.text).toBe('text 7 rewritten elsewhere');
    // ...and one it deletes is gone.
    await deleteNodes(other, [nodes[8]!.id]);
    const later = await search.search('text', {}, 50);
    expect(later.map((hit) => hit.nodeId)).not.toContain(nodes[8]!.id);
    expect(later.length).toBe(39);
  });

  it('keeps at most pageCacheBytes of chunks for pages, the least recently used dropped first; 0 keeps none', async () => {
    const db = await fresh();
    // One chunk per node: each row's text alone fills a chunk.
    const nodes = Array.from({ length: 6 }, (_, i) => fromNodeRow(row(i, `${i}`.repeat(CHUNK_BYTES))));
    await putNodes(db, nodes);
    const placed = new Map<string, number>();
    for (const chunk of await db.nodeData.toArray()) for (const id of chunk.ids) placed.set(id, chunk.id);
    expect(new Set(placed.values()).size).toBe(6);
    const read = (i: number[]): Promise<unknown> => db.nodes.bulkGetPlaced(i.map((n) => nodes[n]!.id), i.map((n) => placed.get(nodes[n]!.id) ?? 0), 'v1');
    const keptOf = async (i: number[]): Promise<number> => {
      const before = db.nodes.pageChunks.kept;
      await read(i);
      return db.nodes.pageChunks.kept - before;
    };
    // Room for two chunks (each about 2 × CHUNK_BYTES of JSON in memory).
    db.nodes.pageCacheBytes = 5 * CHUNK_BYTES;
    await read([0]);
    await read([1]);
    await read([0]); // 0 is now the most recently used
    await read([2]); // drops 1
    expect(await keptOf([0])).toBe(1);
    expect(await keptOf([2])).toBe(1);
    expect(await keptOf([1])).toBe(0);
    // Another version: nothing kept from before.
    const before = db.nodes.pageChunks.kept;
    await db.nodes.bulkGetPlaced([nodes[1]!.id], [placed.get(nodes[1]!.id) ?? 0], 'v2');
    expect(db.nodes.pageChunks.kept).toBe(before);
    db.nodes.pageCacheBytes = 0;
    await read([3]);
    expect(await keptOf([3])).toBe(0);
  });

  it('a writer looks each node up once in its transaction: a read, then a put of the same nodes, as a pull merges', async () => {
    const db = await fresh();
    const nodes = Array.from({ length: 40 }, (_, i) => fromNodeRow(row(i, `text ${i}`)));
    await putNodes(db, nodes.slice(0, 30));
    const lookups = await countIdsLookups(db);
    const changed = nodes.map((n) => ({ ...n, human: { ...n.human, text: `${n.human.text} changed` } }));
    await writeVault(db, async (writer) => {
      expect((await writer.getMany(nodes.map((n) => n.id))).map((r) => r?.id)).toEqual([...nodes.slice(0, 30).map((n) => n.id), ...Array.from({ length: 10 }, () => undefined)]);
      expect(await writer.put(changed)).toBe(40);
      expect((await writer.get(changed[35]!.id))?.human.text).toBe('text 35 changed');
      await writer.delete([changed[0]!.id]);
      expect(await writer.get(changed[0]!.id)).toBeUndefined();
    });
    // One look-up per node (the read located them all), and the deletion's own.
    expect(lookups.count).toBe(40 + 1);
    expect((await db.nodes.bulkGet(changed.slice(1).map((n) => n.id))).map((r) => r?.human.text)).toEqual(changed.slice(1).map((n) => n.human.text));
    expect(await db.nodes.get(changed[0]!.id)).toBeUndefined();
    expect(await expectChunksRecorded(db)).toBe(39);
  });

  it('many nodes are read by the chunks the keyword index records, each checked: a hint out of date is looked up, as a sync push reads its batches', async () => {
    const db = await fresh();
    const count = READ_BY_INDEX_PLACES + 44;
    const nodes = Array.from({ length: count }, (_, i) => fromNodeRow(row(i, `text ${i}`)));
    await putNodes(db, nodes);
    const lookups = await countIdsLookups(db);
    const ids = nodes.map((n) => n.id);
    const absent = 'f'.repeat(64);

    // Straight from the node store, inside a transaction that deleted a node without telling the index yet.
    await db.transaction('rw', [...NODE_TABLES], async () => {
      await db.nodes.delete([ids[7]!]);
      const read = await db.nodes.readMany([...ids, absent]);
      expect(read.rows.map((r) => r?.id)).toEqual([...ids.map((id, i) => (i === 7 ? undefined : id)), undefined]);
      expect(read.places.get(ids[7]!)).toBeNull();
      expect(read.places.get(absent)).toBeNull();
      const stored = new Map<string, number>();
      for (const chunk of await db.nodeData.toArray()) for (const id of chunk.ids) stored.set(id, chunk.id);
      expect(ids.filter((_, i) => i !== 7).every((id) => read.places.get(id) === stored.get(id))).toBe(true);
      // The deletion's own look-up, then the deleted node's (its chunk no longer holds it) and the absent one's.
      expect(lookups.count).toBe(3);
      throw new Error('roll back');
    }).catch((error: unknown) => expect(String(error)).toContain('roll back'));

    // Through a writer: read them all, then put them changed, with a new node and a deletion.
    lookups.count = 0;
    const changed = nodes.map((n) => ({ ...n, human: { ...n.human, text: `${n.human.text} changed` } }));
    const extra = fromNodeRow(row(count + 1, 'a new one'));
    await writeVault(db, async (writer) => {
      await writer.put([extra]);
      await writer.delete([ids[0]!]);
      const read = await writer.getMany([...ids, extra.id, absent]);
      expect(read.map((r) => r?.id)).toEqual([undefined, ...ids.slice(1), extra.id, undefined]);
      expect(await writer.put(changed.slice(1))).toBe(count - 1);
    });
    // The new node's look-up, the deletion's, the absent id's: none for the nodes the index placed.
    expect(lookups.count).toBe(3);
    expect((await db.nodes.bulkGet(ids.slice(1))).map((r) => r?.human.text)).toEqual(changed.slice(1).map((n) => n.human.text));
    expect(await expectChunksRecorded(db)).toBe(count);
  });
});
