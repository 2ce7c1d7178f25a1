/**
 * Conversation titles for keyword search: the title each conversation shows (the person's renamed title, SPEC C30,
 * over the imported one) is a small field of its own, searched beside the exchanges (title-search.ts scores it).
 *
 * Stored as a log in the keyword index's table (part `titles`, so the app's IndexedDB and the command line's
 * SQLite both carry it through the same storage port, index-table.ts), written in the same transaction as what
 * changed: a conversation written by an import or a pull (its imported title), a rename or its undo (the lww record
 * `title:<id>` put or deleted, locally or by a pull), a conversation deleted. `TitleChanges` gathers one
 * transaction's changes and appends them as ONE row; past MAX_TITLE_ROWS rows it folds the log into one snapshot row
 * in the same transaction. `TitleIndexReader` keeps the titles tokenised in memory: built once from the rows, then
 * only newer rows are applied (a query lists the part's keys, nothing more, when nothing changed).
 *
 *   TITLE_PART = 'titles'
 *   renamedTitleValue(value: unknown): string | null     the renamed title an lww value holds (null: the imported one shows)
 *   class TitleChanges { imported(id, title) renamed(id, title | null) deleted(id) recordPut(record) recordDeleted(key) flush(table) }
 *   titleSnapshotRow(conversations, renames): TitleLogRow   a whole log in one row (upgrades of older vaults)
 *   class TitleIndex       holders(term) title(id) length(id) expandPrefix(prefix, max) closeTerms(word, distance, max)
 *   class TitleIndexReader { constructor(table: () => SearchIndexTable); current(listed?): Promise<TitleIndex>; segments(); known; readFrom; holds(segs); reset() }
 *   sameSegments(a, b): boolean
 */
import Dexie from 'dexie';
import { z } from 'zod';
import { lwwRecordSchema, type SyncRecord } from '../../../shared/sync/records';
import type { SearchIndexRange, SearchIndexTable } from './index-table';
import { boundedEditDistance } from './keyword-index';
import { terms } from './tokenize';

export const TITLE_PART = 'titles';
/** Rows the log may grow to before a write folds it into one snapshot row. */
export const MAX_TITLE_ROWS = 16;

const OP_IMPORTED = 0;
const OP_RENAMED = 1;
const OP_DELETED = 2;

export interface TitleLogRow {
  part: 'titles';
  seg: number;
  kind: 'titles';
  /** Names this log; a vault emptied and filled again starts another, so readers never mix the two. */
  log: string;
  /** The highest segment this row holds the changes of: its own for a change row, the last folded one for a snapshot. */
  through: number;
  /** Conversation ids, one per change, in the order they happened. */
  ids: string[];
  /** Per change: 0 imported title, 1 renamed title ('' = the rename was undone), 2 conversation deleted. */
  ops: Uint8Array;
  titles: string[];
}

/** What a renamed-title record (`title:<id>`) holds, read loosely as the reader does: blank or unreadable is no rename. */
export function renamedTitleValue(value: unknown): string | null {
  // Another app version may have written it: longer than any title this one saves (300) is read as no rename.
  const parsed = z.string().max(1200).nullable().catch(null).parse(value);
  const title = parsed?.trim() ?? '';
  return title === '' ? null : title;
}

const TITLE_RECORD = 'title:';
const TITLE_KEY = `lww:${TITLE_RECORD}`;

function titleRange(table: SearchIndexTable): SearchIndexRange {
  return table.where('[part+seg]').between([TITLE_PART, Dexie.minKey], [TITLE_PART, Dexie.maxKey]);
}

function newLogId(): string {
  return crypto.randomUUID();
}

interface TitleState {
  imported: string | null;
  renamed: string | null;
}

/** Replays rows (oldest first) into each conversation's imported and renamed title. */
function replay(rows: readonly TitleLogRow[], into = new Map<string, TitleState>()): Map<string, TitleState> {
  for (const row of rows) {
    row.ids.forEach((id, i) => {
      const op = row.ops[i];
      const title = row.titles[i] ?? '';
      if (op === OP_DELETED) {
        into.delete(id);
        return;
      }
      const state = into.get(id) ?? { imported: null, renamed: null };
      if (op === OP_IMPORTED) state.imported = title;
      else state.renamed = title === '' ? null : title;
      into.set(id, state);
    });
  }
  return into;
}

function snapshotOf(states: ReadonlyMap<string, TitleState>, seg: number, log: string, through: number): TitleLogRow {
  const ids: string[] = [];
  const ops: number[] = [];
  const titles: string[] = [];
  for (const [id, state] of states) {
    if (state.imported !== null) {
      ids.push(id);
      ops.push(OP_IMPORTED);
      titles.push(state.imported);
    }
    if (state.renamed !== null) {
      ids.push(id);
      ops.push(OP_RENAMED);
      titles.push(state.renamed);
    }
  }
  return { part: TITLE_PART, seg, kind: 'titles', log, through, ids, ops: Uint8Array.from(ops), titles };
}

/**
 * A whole log in one row: every conversation's imported title and every rename, `record` being the stored lww
 * record of `title:<conversationId>` (a vault from before titles were searchable).
 */
export function titleSnapshotRow(conversations: readonly { id: string; title: string }[], renames: readonly { conversationId: string; record: unknown }[]): TitleLogRow {
  const states = new Map<string, TitleState>(conversations.map((c) => [c.id, { imported: c.title, renamed: null }]));
  for (const { conversationId, record } of renames) {
    const parsed = lwwRecordSchema.safeParse(record);
    if (!parsed.success) continue;
    const state = states.get(conversationId) ?? { imported: null, renamed: null };
    state.renamed = renamedTitleValue(parsed.data.value);
    states.set(conversationId, state);
  }
  return snapshotOf(states, 1, newLogId(), 1);
}

/** The conversation id of a renamed-title record key (`lww:title:<id>`), else null. */
export function titleRecordConversation(key: string): string | null {
  return key.startsWith(TITLE_KEY) ? key.slice(TITLE_KEY.length) : null;
}

/** One transaction's title changes, appended to the log by `flush` (inside that transaction). */
export class TitleChanges {
  private ids: string[] = [];
  private ops: number[] = [];
  private titles: string[] = [];

  imported(id: string, title: string): void {
    this.push(id, OP_IMPORTED, title);
  }

  renamed(id: string, title: string | null): void {
    this.push(id, OP_RENAMED, title ?? '');
  }

  deleted(id: string): void {
    this.push(id, OP_DELETED, '');
  }

  /** A record stored (by an import, a pull or a local edit): a conversation's imported title, or a rename. */
  recordPut(record: SyncRecord): void {
    if (record.type === 'conversation') this.imported(record.value.id, record.value.title);
    else if (record.type === 'lww' && record.id.startsWith(TITLE_RECORD)) this.renamed(record.id.slice(TITLE_RECORD.length), renamedTitleValue(record.value));
  }

  /** A record deleted by its key: a conversation, or a rename (its conversation's deletion takes it along). */
  recordDeleted(key: string): void {
    if (key.startsWith('conversation:')) this.deleted(key.slice('conversation:'.length));
    const renamed = titleRecordConversation(key);
    if (renamed !== null) this.renamed(renamed, null);
  }

  /** Appends the gathered changes as one row (folding the log when it has grown long); call it inside the transaction. */
  async flush(table: SearchIndexTable): Promise<void> {
    if (this.ids.length === 0) return;
    const ids = this.ids;
    const ops = this.ops;
    const titles = this.titles;
    this.ids = [];
    this.ops = [];
    this.titles = [];
    const range = titleRange(table);
    const keys = await range.primaryKeys();
    const last = keys.at(-1);
    let log = newLogId();
    if (last) {
      const row = await table.get(last);
      if (row?.kind === 'titles') log = row.log;
    }
    let seg = (last?.[1] ?? 0) + 1;
    if (keys.length >= MAX_TITLE_ROWS && last) {
      // Fold: the rows so far become one snapshot (`through` the last of them), then this change follows it.
      const rows = (await range.toArray()).filter((row): row is TitleLogRow => row.kind === 'titles');
      await table.bulkDelete(keys);
      await table.put(snapshotOf(replay(rows), seg, log, last[1]));
      seg += 1;
    }
    await table.put({ part: TITLE_PART, seg, kind: 'titles', log, through: seg, ids, ops: Uint8Array.from(ops), titles });
  }

  private push(id: string, op: number, title: string): void {
    this.ids.push(id);
    this.ops.push(op);
    this.titles.push(title);
  }
}

interface Entry extends TitleState {
  /** Words of the title shown (its words are not kept: a change tokenises the old title again, to save memory). */
  length: number;
}

function shown(entry: TitleState): string {
  return entry.renamed ?? entry.imported ?? '';
}

/** The titles in memory: each conversation's shown title, tokenised, with an inverted index over conversations. */
export class TitleIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly postings = new Map<string, Map<string, number>>();
  private totalLength = 0;
  private titled = 0;
  private sorted: string[] | null = null;
  private changes = 0;

  /** Changes with every applied log row: what callers derive from the titles (title-search.ts) compares it. */
  get version(): number {
    return this.changes;
  }

  /** Conversations with a title holding some word. */
  get count(): number {
    return this.titled;
  }

  get averageLength(): number {
    return this.titled === 0 ? 1 : Math.max(1, this.totalLength / this.titled);
  }

  /** The title the conversation shows (renamed over imported), if known. */
  title(id: string): string | undefined {
    const entry = this.entries.get(id);
    return entry ? (entry.renamed ?? entry.imported ?? undefined) : undefined;
  }

  length(id: string): number {
    return this.entries.get(id)?.length ?? 0;
  }

  /** The conversations whose title holds `term`, with how often. */
  holders(term: string): ReadonlyMap<string, number> | undefined {
    return this.postings.get(term);
  }

  apply(row: TitleLogRow): void {
    this.changes += 1;
    row.ids.forEach((id, i) => {
      const op = row.ops[i];
      const title = row.titles[i] ?? '';
      const entry = this.entries.get(id) ?? { imported: null, renamed: null, length: 0 };
      const before = shown(entry);
      if (op === OP_DELETED) {
        this.setTerms(id, entry, before, '');
        this.entries.delete(id);
        return;
      }
      if (op === OP_IMPORTED) entry.imported = title;
      else entry.renamed = title === '' ? null : title;
      this.entries.set(id, entry);
      const after = shown(entry);
      if (after !== before) this.setTerms(id, entry, before, after);
    });
  }

  /** Title words starting with `prefix`, in the most titles first (the prefix itself first when it is one). */
  expandPrefix(prefix: string, max: number): string[] {
    const sorted = (this.sorted ??= [...this.postings.keys()].sort());
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] ?? '') < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: string[] = [];
    for (let i = lo; i < sorted.length && found.length < 10_000; i++) {
      const term = sorted[i] ?? '';
      if (!term.startsWith(prefix)) break;
      found.push(term);
    }
    const df = (term: string): number => (term === prefix ? Number.POSITIVE_INFINITY : (this.postings.get(term)?.size ?? 0));
    return found.sort((x, y) => df(y) - df(x) || x.localeCompare(y)).slice(0, max);
  }

  /** Title words within `maxDistance` edits of `word` (typo fallback), closest first, then the most common. */
  closeTerms(word: string, maxDistance: number, max: number): string[] {
    const found: { term: string; distance: number; df: number }[] = [];
    for (const [term, holders] of this.postings) {
      if (term === word || Math.abs(term.length - word.length) > maxDistance) continue;
      const distance = boundedEditDistance(word, term, maxDistance);
      if (distance <= maxDistance) found.push({ term, distance, df: holders.size });
    }
    return found
      .sort((x, y) => x.distance - y.distance || y.df - x.df || x.term.localeCompare(y.term))
      .slice(0, max)
      .map((f) => f.term);
  }

  private setTerms(id: string, entry: Entry, before: string, after: string): void {
    for (const term of new Set(entry.length > 0 ? terms(before) : [])) {
      const holders = this.postings.get(term);
      holders?.delete(id);
      if (holders?.size === 0) {
        this.postings.delete(term);
        this.sorted = null;
      }
    }
    if (entry.length > 0) {
      this.totalLength -= entry.length;
      this.titled -= 1;
    }
    const next = terms(after);
    entry.length = next.length;
    if (next.length === 0) return;
    this.totalLength += next.length;
    this.titled += 1;
    for (const term of next) {
      let holders = this.postings.get(term);
      if (!holders) {
        this.postings.set(term, (holders = new Map<string, number>()));
        this.sorted = null;
      }
      holders.set(id, (holders.get(id) ?? 0) + 1);
    }
  }
}

export function sameSegments(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((seg, i) => seg === b[i]);
}

/**
 * The titles as of now, in memory: the first call reads the whole log, later calls list the part's keys and apply
 * only the rows written since (a fold the reader had already seen all of costs nothing either).
 */
export class TitleIndexReader {
  private index = new TitleIndex();
  private log: string | null = null;
  private segs: number[] = [];

  constructor(private readonly table: () => SearchIndexTable) {}

  /** The segments of the title log as stored now (one request), for `current` or `holds`. */
  async segments(): Promise<number[]> {
    const keys = await titleRange(this.table()).primaryKeys();
    return keys.map(([, seg]) => seg);
  }

  /** The titles as last read (null before any read): current as long as `holds` the log's segments listed since. */
  get known(): TitleIndex | null {
    return this.read ? this.index : null;
  }

  /** Whether the titles in memory are those of a log listing `segs` (the log only ever gains segments or folds). */
  holds(segs: readonly number[]): boolean {
    return this.read && sameSegments(segs, this.segs);
  }

  /** The log's segments the titles in memory were read from (null before any read). */
  get readFrom(): readonly number[] | null {
    return this.read ? this.segs : null;
  }

  /** Forgets the titles read (the vault was deleted or replaced: a new log may reuse segment numbers). */
  reset(): void {
    this.index = new TitleIndex();
    this.log = null;
    this.segs = [];
    this.read = false;
  }

  private read = false;

  /** `listed`: the log's segments just read (`segments`), else they are listed first. */
  async current(listed?: readonly number[]): Promise<TitleIndex> {
    const segs = [...(listed ?? (await this.segments()))];
    if (this.holds(segs)) return this.index;
    const known = new Set(this.segs);
    const current = new Set(segs);
    const seen = this.segs.at(-1) ?? 0;
    const rows = (await this.table().bulkGet(segs.filter((seg) => !known.has(seg)).map((seg): [string, number] => [TITLE_PART, seg]))).filter(
      (row): row is TitleLogRow => row?.kind === 'titles',
    );
    // Applied in place when the log is the same and every row gone was folded into a snapshot this reader had
    // already seen all of (a snapshot's `through` is below its own segment).
    let covered = 0;
    let continues = this.log !== null && rows.every((row) => row.log === this.log);
    for (const row of rows) {
      if (row.through === row.seg) continue;
      if (row.through > seen) continues = false;
      covered = Math.max(covered, row.through);
    }
    if (continues && this.segs.every((seg) => current.has(seg) || seg <= covered)) {
      for (const row of rows) if (row.through === row.seg) this.index.apply(row);
      this.segs = segs;
      this.read = true;
      return this.index;
    }
    const all = (await titleRange(this.table()).toArray()).filter((row): row is TitleLogRow => row.kind === 'titles');
    this.index = new TitleIndex();
    for (const row of all) this.index.apply(row);
    this.log = all.at(-1)?.log ?? null;
    this.segs = all.map((row) => row.seg);
    this.read = true;
    return this.index;
  }
}
