/**
 * How records from two devices combine (C8-C12). Every rule is "keep the larger under a total order" or a union,
 * so merging is commutative, associative and idempotent: devices that saw the same records in any order, any number
 * of times, hold the same vault.
 */
import { canonicalJson, type NoteVersionRecord, type SyncRecord } from './records';
import { appendAll } from '../arrays';

/**
 * The record to keep when `incoming` meets `existing` under the same key (C8, C10, C11):
 * - lww: the later hybrid logical clock; equal clocks (the same edit seen twice) tie-break on the value;
 * - conversation: the later `updatedAt` (a newer export of the same conversation), then the canonical form;
 * - nodes, memories, note versions: content-addressed, so equal; vectors of one node and model may differ in
 *   rounding between devices, so the canonical form decides.
 */
export function chooseRecord(existing: SyncRecord | undefined, incoming: SyncRecord): SyncRecord {
  if (existing === undefined) return incoming;
  if (existing.type === 'lww' && incoming.type === 'lww') {
    if (incoming.hlc !== existing.hlc) return incoming.hlc > existing.hlc ? incoming : existing;
  }
  if (existing.type === 'conversation' && incoming.type === 'conversation') {
    const a = existing.value.updatedAt ?? -1;
    const b = incoming.value.updatedAt ?? -1;
    if (a !== b) return b > a ? incoming : existing;
  }
  return canonicalJson(incoming) > canonicalJson(existing) ? incoming : existing;
}

/** Lowercased, whitespace-collapsed: two memories that differ only in spacing or case are one (C11). */
export function normaliseMemoryText(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

// ---- Notes (C12) ----------------------------------------------------------------------------------------------

interface Hunk {
  /** Base lines [start, end) replaced by `lines`. */
  start: number;
  end: number;
  lines: string[];
}

/** Longer notes are not merged line by line (quadratic table); both versions are kept instead. */
const MAX_MERGE_CELLS = 4_000_000;

function diffHunks(base: string[], other: string[]): Hunk[] | null {
  const n = base.length;
  const m = other.length;
  if ((n + 1) * (m + 1) > MAX_MERGE_CELLS) return null;
  // lcs[i][j] = LCS length of base[i..] and other[j..]
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i]![j] = base[i] === other[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let open: Hunk | null = null;
  while (i < n || j < m) {
    if (i < n && j < m && base[i] === other[j]) {
      if (open !== null) hunks.push(open);
      open = null;
      i += 1;
      j += 1;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      open ??= { start: i, end: i, lines: [] };
      open.lines.push(other[j]!);
      j += 1;
    } else {
      open ??= { start: i, end: i, lines: [] };
      i += 1;
      open.end = i;
    }
  }
  if (open !== null) hunks.push(open);
  return hunks;
}

function overlaps(a: Hunk, b: Hunk): boolean {
  // Edits that share or touch a base line (as in git's merge) cannot be ordered safely: a conflict.
  return a.start <= b.end && b.start <= a.end;
}

/** Three-way line merge: null when the two edits touch the same lines (a conflict). */
export function mergeLines(base: string, ours: string, theirs: string): string | null {
  if (ours === theirs) return ours;
  if (ours === base) return theirs;
  if (theirs === base) return ours;
  const baseLines = base.split('\n');
  const a = diffHunks(baseLines, ours.split('\n'));
  const b = diffHunks(baseLines, theirs.split('\n'));
  if (a === null || b === null) return null;
  for (const x of a) for (const y of b) if (overlaps(x, y)) return null;
  const all = [...a, ...b].sort((x, y) => x.start - y.start || x.end - y.end);
  const out: string[] = [];
  let cursor = 0;
  for (const hunk of all) {
    appendAll(appendAll(out, baseLines.slice(cursor, hunk.start)), hunk.lines);
    cursor = hunk.end;
  }
  appendAll(out, baseLines.slice(cursor));
  return out.join('\n');
}

export interface ResolvedNote {
  text: string;
  /** Versions nobody superseded, oldest first. More than one and `conflict`: the person chooses (conflict queue). */
  heads: NoteVersionRecord[];
  conflict: boolean;
}

/**
 * The note a conversation shows, from all its versions: the one head, or concurrent heads merged line by line when
 * they started from the same text and touch different lines; otherwise the latest head's text, flagged.
 */
export function resolveNote(versions: readonly NoteVersionRecord[]): ResolvedNote | null {
  if (versions.length === 0) return null;
  const superseded = new Set(versions.flatMap((v) => v.parents));
  const heads = versions.filter((v) => !superseded.has(v.version)).sort((a, b) => (a.version < b.version ? -1 : 1));
  if (heads.length === 1) return { text: heads[0]!.text, heads, conflict: false };
  const base = heads[0]!.base;
  let merged: string | null = heads.every((h) => h.base === base) ? heads[0]!.text : null;
  for (const head of heads.slice(1)) {
    if (merged === null) break;
    merged = mergeLines(base, merged, head.text);
  }
  if (merged !== null) return { text: merged, heads, conflict: false };
  return { text: heads[heads.length - 1]!.text, heads, conflict: true };
}
