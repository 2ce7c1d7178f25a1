/**
 * Where the vault's nodes live (Dexie v7): in chunk rows of a few nodes (NODES_PER_CHUNK, about CHUNK_BYTES), not
 * one row per node. IndexedDB's cost of a write is per request far more than per byte (bench/search.bench.ts): an
 * import batch of 1,000 nodes wrote 1,000 node rows, and now writes about 1,000 / NODES_PER_CHUNK.
 *
 * One table, `nodeData` { id, ids, conversationIds, nodes }: the chunk's node ids in order, each node's conversation,
 * and each node as JSON. Two multi-entry indexes: a unique one on `ids` finds a node's chunk in one request (a
 * search reads its hits so: one round trip, as with a row per node) and refuses a node stored twice; one on
 * `conversationIds` finds a conversation's chunks. JSON strings, not objects: reading one node of a chunk costs a
 * copy of the chunk's strings and one JSON.parse, where structured-cloned objects would all be rebuilt.
 * Chunks are small on purpose: a search hit reads its whole chunk (measured at 100k: a page of 20 hits with chunks
 * of ~32 KB took twice as long to read as with rows of one node; 8 KB chunks also imported faster than 32 KB ones).
 * Every node id of the vault is read from the keyword index's `docs` rows, written with the nodes in the same
 * transaction (search/keyword-index.ts): it lists each stored node once, so no directory of the chunks is kept.
 *
 * A chunk's number is the docId of its first node when it was written: docIds are never reused, so a new chunk's
 * number is new too. A chunk is rewritten in place when one of its nodes is replaced or deleted, and deleted
 * when it holds no node any more.
 *
 * Every node read and write of the app goes through here (`db.nodes` is a NodeStore):
 *   NODE_TABLES                              what a transaction around node reads or writes must cover
 *   prepareChunks(rows: NodeRow[]): NodeDataRow[]          pure CPU, before the write transaction (imports)
 *   class NodeStore
 *     get(id), bulkGet(ids, located?)        by id (undefined when absent)
 *     bulkGetPlaced(ids, chunks, version?)   by id, each with the chunk the keyword index recorded (0: not known);
 *                                            with `version`, chunks read for earlier pages are taken from memory
 *     pageCacheBytes                          the bound of that memory (0: none kept)
 *     readMany(ids) -> { rows, places }      many by id, with the chunk each was found in (a sync push's batch)
 *     count(), allIds(), all()               every node (ids in index order: neighbours share chunks)
 *     ofConversation(id), idsOfConversation(id), ofConversations(ids)
 *     locate(ids): Promise<Map<string, number>>            node id -> chunk number, for the ids that are stored
 *     addPrepared(prepared), add(rows) -> chunk of each, put(rows, located?), delete(ids)   inside the caller's rw transaction
 */
import type { Table } from 'dexie';
import { indexedNodeIds, indexedNodePlaces, indexVersion, readIndexStats } from '../search/keyword-index';
import type { NodeRow, VaultDatabase } from './database';

export const NODE_TABLES = ['nodeData', 'searchIndex'] as const;

/** At most this many nodes in a chunk. */
export const NODES_PER_CHUNK = 8;
/**
 * A chunk is closed once its JSON reaches about this many bytes (a string with a character above U+00FF is stored
 * with two bytes per character). A single larger node has a chunk of its own.
 */
export const CHUNK_BYTES = 8 * 1024;

/**
 * Up to this many ids (a page of 50 search hits, a phrase check of 40), bulkGet reads each id's chunk straight by the
 * index (one round trip, a chunk per id); above (a sync push, an embedding job), it locates them first and reads each
 * chunk once (two round trips, no chunk read twice).
 */
export const READ_DIRECT = 64;

/**
 * From this many ids on, readMany takes each node's chunk from the keyword index's docs rows (read once and kept while
 * the index does not change) instead of one look-up by the `ids` index per node: a sync push reads its batches so.
 */
export const READ_BY_INDEX_PLACES = 256;
/** How long the docs rows' map of node -> chunk is kept after its last use (~10 MB at 100k nodes). */
const PLACES_KEPT_MS = 30_000;

/**
 * The chunks read for pages of search hits are kept (most recently used last) up to this many bytes of JSON: a
 * person typing a query, refining it or changing a filter gets mostly the hits of the keystroke before, and a page
 * of 20 from memory costs no IndexedDB round trip (measured at 100k: 20 chunk reads p50 3.3 ms, p95 6.6 ms and
 * stalls of 20–50 ms; `npm run bench -- search` with BENCH_PAGE_READS=1, and its typing series).
 */
const PAGE_CACHE_BYTES = 4 * 1024 * 1024;
/** Kept this long after the last page read from them. */
const PAGE_CACHE_KEPT_MS = 60_000;

/** Above U+00FF: the string is stored as two-byte characters. */
const WIDE = /[^\u0000-\u00ff]/u;

export interface NodeDataRow {
  id: number;
  /** The chunk's node ids, in order. */
  ids: string[];
  /** The conversation of each node of `ids`. */
  conversationIds: string[];
  /** JSON of each node row, in the order of `ids`. */
  nodes: string[];
}

/** Bytes a chunk's JSON takes in memory, at most (two per character). */
function chunkBytes(row: NodeDataRow): number {
  let chars = 0;
  for (const json of row.nodes) chars += json.length;
  return chars * 2;
}

/** Splits rows (in the order given: an import's conversation order) into chunks, numbered by their first docId. */
export function prepareChunks(rows: readonly NodeRow[]): NodeDataRow[] {
  const prepared: NodeDataRow[] = [];
  let chunk: NodeDataRow | null = null;
  let bytes = 0;
  for (const row of rows) {
    const json = JSON.stringify(row);
    const size = WIDE.test(json) ? json.length * 2 : json.length;
    if (chunk === null || chunk.ids.length >= NODES_PER_CHUNK || (bytes > 0 && bytes + size > CHUNK_BYTES)) {
      chunk = { id: row.docId, ids: [], conversationIds: [], nodes: [] };
      prepared.push(chunk);
      bytes = 0;
    }
    chunk.ids.push(row.id);
    chunk.conversationIds.push(row.conversationId);
    chunk.nodes.push(json);
    bytes += size;
  }
  return prepared;
}

/**
 * Each node's chunk number in `chunks` (as prepareChunks numbered them): the keyword index records it with the
 * node's document (search/keyword-index.ts DocsRow.chunks), so a page of hits reads its chunks by primary key.
 */
export function chunkNumbers(chunks: readonly NodeDataRow[]): Map<string, number> {
  const placed = new Map<string, number>();
  for (const chunk of chunks) for (const id of chunk.ids) placed.set(id, chunk.id);
  return placed;
}

/** Our own rows, written by prepareChunks (the database's rows are trusted as Dexie's typed tables are). */
function parseNode(json: string): NodeRow {
  return JSON.parse(json) as NodeRow;
}

/** `ids` parsed from their JSON in `where` (each once, however often it is asked for); undefined when absent. */
function parseEach(ids: readonly string[], where: ReadonlyMap<string, string>): (NodeRow | undefined)[] {
  const parsed = new Map<string, NodeRow>();
  return ids.map((id) => {
    let node = parsed.get(id);
    if (node) return node;
    const json = where.get(id);
    if (json === undefined) return undefined;
    node = parseNode(json);
    parsed.set(id, node);
    return node;
  });
}

/** Reading order of a conversation's nodes: by ordinal, then by id (as the v6 `[conversationId+ordinal]` index). */
function byOrdinal(x: NodeRow, y: NodeRow): number {
  return x.ordinal - y.ordinal || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
}

export class NodeStore {
  constructor(private readonly db: VaultDatabase) {}

  private get data(): Table<NodeDataRow, number> {
    return this.db.nodeData;
  }

  /** One read transaction (or the caller's, when it covers NODE_TABLES): a chunk never half-read. */
  private read<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction('r', [...NODE_TABLES], work);
  }

  async get(id: string): Promise<NodeRow | undefined> {
    return (await this.bulkGet([id]))[0];
  }

  /** Node id -> chunk number, for the ids that are stored (one index look-up per id, all at once). */
  locate(ids: readonly string[]): Promise<Map<string, number>> {
    return this.read(async () => {
      const unique = [...new Set(ids)];
      const found = await Promise.all(unique.map((id) => this.data.where('ids').equals(id).primaryKeys()));
      const located = new Map<string, number>();
      unique.forEach((id, i) => {
        const chunk = found[i]?.[0];
        if (chunk !== undefined) located.set(id, chunk);
      });
      return located;
    });
  }

  /**
   * Nodes by id. A few (a page of search hits, under READ_DIRECT): each id's chunk read by the `ids` index in one
   * request, all at once (one round trip). More (a sync push, an embedding job: neighbours, which share chunks):
   * located first by index keys alone, then each chunk read once, not once per node in it. `located`: the caller's
   * locate() of these ids in the same transaction; the chunks are then read by number.
   */
  bulkGet(ids: readonly string[], located?: Map<string, number>): Promise<(NodeRow | undefined)[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.read(async () => {
      const unique = [...new Set(ids)];
      const chunkOf = located ?? (unique.length > READ_DIRECT ? await this.locate(unique) : undefined);
      // Located: what locate did not find is not stored (no second look-up). Not located: each id by the index.
      const found = chunkOf ? await this.readPlaced(unique, unique.map((id) => chunkOf.get(id) ?? 0), false) : await this.readPlaced(unique, unique.map(() => 0));
      return parseEach(ids, found.json);
    });
  }

  /**
   * Nodes by id, `chunks[i]` the chunk the keyword index recorded for `ids[i]` (0 when it has none): those chunks are
   * read by primary key, all at once (measured at 100k, a page of 20: ~3 ms, where finding each node's chunk by the
   * `ids` index took ~5); an id without one, or not in the chunk named (a record out of date), is then looked up by
   * the index as bulkGet does. A search's page of hits.
   *
   * `version`: the keyword index's statistics the caller ranked with (indexVersion). Every write of a node moves
   * them on in its own transaction, wherever it ran (vault-writes.ts: a node added, replaced or deleted changes the
   * index too), so chunks read under the same version are the chunks stored now: they are taken from memory (see
   * PAGE_CACHE_BYTES) and only the others read. Another version drops what was kept.
   */
  async bulkGetPlaced(ids: string[], chunks: number[], version?: string): Promise<(NodeRow | undefined)[]> {
    if (ids.length === 0) return [];
    const cache = version === undefined || this.pageCacheBytes <= 0 ? null : this.pageCache(version);
    const known = new Map<number, NodeDataRow>();
    if (cache) {
      for (const n of new Set(chunks)) {
        if (n === 0) continue;
        this.pageChunks.asked++;
        const row = cache.rows.get(n);
        if (!row) continue;
        this.pageChunks.kept++;
        // Most recently used last.
        cache.rows.delete(n);
        cache.rows.set(n, row);
        known.set(n, row);
      }
      this.keepPageCache();
    }
    if (cache && chunks.every((n) => known.has(n))) {
      const found = this.placedIn(ids, chunks, known);
      if (found.missing.size === 0) return parseEach(ids, found.json);
    }
    const read = await this.db.transaction('r', ['nodeData'], () => this.readPlaced(ids, chunks, true, known, cache));
    return parseEach(ids, read.json);
  }

  /** How many bytes of chunk JSON pages of search hits may keep in memory (bulkGetPlaced); 0 keeps none. */
  pageCacheBytes = PAGE_CACHE_BYTES;
  /** Chunks pages asked for with a version, and of them those found in memory (benchmarks read them). */
  readonly pageChunks = { asked: 0, kept: 0 };
  private cachedPages: { version: string; rows: Map<number, NodeDataRow>; bytes: number } | null = null;
  private pageCacheTimer: ReturnType<typeof setTimeout> | undefined;

  private pageCache(version: string): { version: string; rows: Map<number, NodeDataRow>; bytes: number } {
    if (this.cachedPages?.version !== version) this.cachedPages = { version, rows: new Map(), bytes: 0 };
    return this.cachedPages;
  }

  private keepPageCache(): void {
    clearTimeout(this.pageCacheTimer);
    this.pageCacheTimer = setTimeout(() => {
      this.cachedPages = null;
    }, PAGE_CACHE_KEPT_MS);
    // Never what keeps a process (a test, the command-line device) alive.
    (this.pageCacheTimer as { unref?: () => void }).unref?.();
  }

  /** Keeps `row` for later pages, dropping the least recently used beyond the bound. */
  private remember(cache: { rows: Map<number, NodeDataRow>; bytes: number }, row: NodeDataRow): void {
    if (cache.rows.has(row.id) || this.cachedPages !== cache) return;
    const size = chunkBytes(row);
    if (size > this.pageCacheBytes) return;
    cache.rows.set(row.id, row);
    cache.bytes += size;
    for (const [n, old] of cache.rows) {
      if (cache.bytes <= this.pageCacheBytes) break;
      cache.rows.delete(n);
      cache.bytes -= chunkBytes(old);
    }
  }

  /** Drops the chunks kept for pages: this store is about to write (its writes move the index's version on too). */
  private forgetPages(): void {
    this.cachedPages = null;
  }

  /**
   * Many nodes by id, and the chunk each was found in (null: not stored), checked against the chunks read: what a
   * writer needs before it puts them (vault-writes.ts VaultWriter.getMany). From READ_BY_INDEX_PLACES ids on, the
   * chunks named by the keyword index's docs rows are read by number (bulkGetPlaced), the rest looked up by index.
   */
  readMany(ids: readonly string[]): Promise<{ rows: (NodeRow | undefined)[]; places: Map<string, number | null> }> {
    const unique = [...new Set(ids)];
    return this.read(async () => {
      let found: { json: Map<string, string>; chunkOf: Map<string, number> };
      if (unique.length >= READ_BY_INDEX_PLACES) {
        const hints = await this.indexPlaces();
        found = await this.readPlaced(unique, unique.map((id) => hints.get(id) ?? 0));
      } else {
        const located = await this.locate(unique);
        found = await this.readPlaced(unique, unique.map((id) => located.get(id) ?? 0), false);
      }
      const places = new Map<string, number | null>();
      for (const id of unique) places.set(id, found.json.has(id) ? (found.chunkOf.get(id) ?? null) : null);
      return { rows: parseEach(ids, found.json), places };
    });
  }

  /** The docs rows' node -> chunk map, read again when the index changed (its statistics row moves with every write). */
  private places: { key: string; map: Map<string, number> } | null = null;
  private placesTimer: ReturnType<typeof setTimeout> | undefined;

  private async indexPlaces(): Promise<Map<string, number>> {
    const stats = await readIndexStats(this.db.searchIndex);
    const key = indexVersion(stats);
    if (this.places?.key !== key) this.places = { key, map: await indexedNodePlaces(this.db.searchIndex) };
    clearTimeout(this.placesTimer);
    this.placesTimer = setTimeout(() => {
      this.places = null;
    }, PLACES_KEPT_MS);
    // Never what keeps a process (a test, the command-line device) alive.
    (this.placesTimer as { unref?: () => void }).unref?.();
    return this.places.map;
  }

  /**
   * The JSON of `ids` and the chunk each was found in: the chunks named (`chunks[i]`, 0 for none) read by primary key,
   * then (`lookUpMissing`) an id not found in the chunk named (none, or a hint out of date) looked up by the `ids` index.
   */
  private async readPlaced(
    ids: readonly string[],
    chunks: readonly number[],
    lookUpMissing = true,
    known?: ReadonlyMap<number, NodeDataRow>,
    cache?: { rows: Map<number, NodeDataRow>; bytes: number } | null,
  ): Promise<{ json: Map<string, string>; chunkOf: Map<string, number> }> {
    const numbers = [...new Set(chunks.filter((n) => n !== 0 && !known?.has(n)))];
    const rows = numbers.length > 0 ? await this.data.bulkGet(numbers) : [];
    const byNumber = new Map<number, NodeDataRow>(known);
    for (const row of rows) {
      if (!row) continue;
      byNumber.set(row.id, row);
      if (cache) this.remember(cache, row);
    }
    const { json, chunkOf, missing } = this.placedIn(ids, chunks, byNumber);
    if (lookUpMissing && missing.size > 0) {
      const found = await Promise.all([...missing].map((id) => this.data.where('ids').equals(id).first()));
      for (const row of found) {
        if (!row) continue;
        row.ids.forEach((id, i) => {
          const node = row.nodes[i];
          if (node === undefined || !missing.has(id)) return;
          json.set(id, node);
          chunkOf.set(id, row.id);
        });
      }
    }
    return { json, chunkOf };
  }

  /** Each id's JSON from the chunk named for it in `byNumber`; `missing`: the ids not there. */
  private placedIn(ids: readonly string[], chunks: readonly number[], byNumber: ReadonlyMap<number, NodeDataRow>): { json: Map<string, string>; chunkOf: Map<string, number>; missing: Set<string> } {
    const json = new Map<string, string>();
    const chunkOf = new Map<string, number>();
    const missing = new Set<string>();
    ids.forEach((id, i) => {
      const row = byNumber.get(chunks[i] ?? 0);
      const node = row?.nodes[row.ids.indexOf(id)];
      if (row && node !== undefined) {
        json.set(id, node);
        chunkOf.set(id, row.id);
      } else missing.add(id);
    });
    return { json, chunkOf, missing };
  }

  /** How many nodes the vault holds (the keyword index's list of them; no chunk is read). */
  async count(): Promise<number> {
    return (await this.allIds()).length;
  }

  /** Every node id, as the keyword index lists them (in the order they were indexed: neighbours share chunks). */
  allIds(): Promise<string[]> {
    return this.read(() => indexedNodeIds(this.db.searchIndex));
  }

  /** Every node, in chunk order. */
  async all(): Promise<NodeRow[]> {
    const data = await this.data.toArray();
    const nodes: NodeRow[] = [];
    for (const row of data) for (const json of row.nodes) nodes.push(parseNode(json));
    return nodes;
  }

  /** The nodes of one conversation (all branches), by ordinal. */
  async ofConversation(conversationId: string): Promise<NodeRow[]> {
    return (await this.ofConversations([conversationId])).get(conversationId) ?? [];
  }

  /** The ids of one conversation's nodes (all branches). */
  async idsOfConversation(conversationId: string): Promise<string[]> {
    const rows = await this.read(() => this.data.where('conversationIds').equals(conversationId).toArray());
    const ids: string[] = [];
    for (const row of rows) row.ids.forEach((id, i) => row.conversationIds[i] === conversationId && ids.push(id));
    return ids;
  }

  /** The nodes of each conversation (all branches), by ordinal; a conversation without nodes is absent. */
  ofConversations(conversationIds: readonly string[]): Promise<Map<string, NodeRow[]>> {
    const wanted = new Set(conversationIds);
    if (wanted.size === 0) return Promise.resolve(new Map<string, NodeRow[]>());
    return this.read(async () => {
      const found = await Promise.all([...wanted].map((id) => this.data.where('conversationIds').equals(id).toArray()));
      const seen = new Set<number>();
      const out = new Map<string, NodeRow[]>();
      for (const row of found.flat()) {
        // A chunk holding two of the wanted conversations is found twice.
        if (seen.has(row.id)) continue;
        seen.add(row.id);
        row.conversationIds.forEach((conversationId, i) => {
          const json = row.nodes[i];
          if (!wanted.has(conversationId) || json === undefined) return;
          const list = out.get(conversationId) ?? [];
          list.push(parseNode(json));
          out.set(conversationId, list);
        });
      }
      for (const list of out.values()) list.sort(byOrdinal);
      return out;
    });
  }

  // ---- writes: inside the caller's read-write transaction over NODE_TABLES ----------------------------------

  /** Writes chunks prepared before the transaction (nodes not stored yet: the `ids` index refuses a duplicate). */
  async addPrepared(prepared: readonly NodeDataRow[]): Promise<void> {
    if (prepared.length === 0) return;
    this.forgetPages();
    await this.data.bulkAdd([...prepared]);
  }

  /** Adds nodes not stored yet, as new chunks; returns each node's chunk number (chunkNumbers). */
  async add(rows: readonly NodeRow[]): Promise<Map<string, number>> {
    const chunks = prepareChunks(rows);
    await this.addPrepared(chunks);
    return chunkNumbers(chunks);
  }

  /**
   * Adds or replaces nodes. A replaced node stays in its chunk (rewritten in place); new nodes go to new chunks.
   * `located`: the caller's locate() of these ids in the same transaction, to save the look-ups.
   */
  async put(rows: readonly NodeRow[], located?: Map<string, number>): Promise<void> {
    if (rows.length === 0) return;
    const where = located ?? (await this.locate(rows.map((row) => row.id)));
    const fresh: NodeRow[] = [];
    const byChunk = new Map<number, Map<string, NodeRow>>();
    const seen = new Map<string, NodeRow>();
    for (const row of rows) seen.set(row.id, row); // the last write of an id wins, as with bulkPut
    for (const row of seen.values()) {
      const chunk = where.get(row.id);
      if (chunk === undefined) {
        fresh.push(row);
        continue;
      }
      const changes = byChunk.get(chunk) ?? new Map<string, NodeRow>();
      changes.set(row.id, row);
      byChunk.set(chunk, changes);
    }
    await Promise.all([this.rewrite(byChunk, new Set()), this.add(fresh)]);
  }

  /** Deletes nodes by id; returns the rows that existed (for the index and the vectors). */
  async delete(ids: readonly string[]): Promise<NodeRow[]> {
    if (ids.length === 0) return [];
    const located = await this.locate(ids);
    const gone = new Set(located.keys());
    const byChunk = new Map<number, Map<string, NodeRow>>();
    for (const chunk of located.values()) byChunk.set(chunk, new Map());
    return this.rewrite(byChunk, gone);
  }

  /** Rewrites chunks with `changes` applied and the nodes of `gone` removed; returns the removed rows. */
  private async rewrite(byChunk: Map<number, Map<string, NodeRow>>, gone: ReadonlySet<string>): Promise<NodeRow[]> {
    if (byChunk.size === 0) return [];
    this.forgetPages();
    const numbers = [...byChunk.keys()];
    const data = await this.data.bulkGet(numbers);
    const removed: NodeRow[] = [];
    const put: NodeDataRow[] = [];
    const emptied: number[] = [];
    numbers.forEach((n, c) => {
      const chunk = data[c];
      if (!chunk) return;
      const changes = byChunk.get(n) ?? new Map<string, NodeRow>();
      const next: NodeDataRow = { id: n, ids: [], conversationIds: [], nodes: [] };
      chunk.ids.forEach((id, i) => {
        const json = chunk.nodes[i] ?? '';
        if (gone.has(id)) {
          removed.push(parseNode(json));
          return;
        }
        const changed = changes.get(id);
        next.ids.push(id);
        next.conversationIds.push(changed ? changed.conversationId : (chunk.conversationIds[i] ?? ''));
        next.nodes.push(changed ? JSON.stringify(changed) : json);
      });
      if (next.ids.length === 0) emptied.push(n);
      else put.push(next);
    });
    await Promise.all([put.length > 0 ? this.data.bulkPut(put) : undefined, emptied.length > 0 ? this.data.bulkDelete(emptied) : undefined]);
    return removed;
  }
}
