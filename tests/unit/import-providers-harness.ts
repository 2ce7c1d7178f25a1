/**
 * Drives an adapter the way the importer core does, without the core: JSON documents are cut into records
 * (root array -> one per element; root object -> one per element of each array property, one per other property)
 * and the skips and warnings an adapter reports are counted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ImportReport } from '../../shared/import';
import type { JsonRecord, NodeDraft, ParseContext, ParsedConversation, ProviderAdapter } from '../../shared/import/provider';
import type { Conversation, MemoryNode } from '../../shared/model';
import { bytesSource, MemoryStore, runImport } from '../support/import-helpers';

export const FIXTURES = resolve(import.meta.dirname, '../../../shared/fixtures');
export const HAS_FIXTURES = existsSync(FIXTURES);
export const NO_FIXTURES_REASON = `fixture folder ${FIXTURES} is absent (it sits next to the repo checkout)`;

export function fixtureText(relative: string): string {
  return readFileSync(resolve(FIXTURES, relative), 'utf8');
}

function jsonRecords(value: unknown): { rootKind: 'array' | 'object'; records: JsonRecord[] } {
  const record = (path: string, index: number, element: unknown, inArray: boolean): JsonRecord => {
    const raw = JSON.stringify(element);
    return { path, index, value: JSON.parse(raw) as unknown, raw, inArray };
  };
  if (Array.isArray(value)) return { rootKind: 'array', records: value.map((element: unknown, index) => record('', index, element, true)) };
  const records: JsonRecord[] = [];
  for (const [key, property] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(property)) property.forEach((element: unknown, index) => records.push(record(key, index, element, true)));
    else records.push(record(key, 0, property, false));
  }
  return { rootKind: 'object', records };
}

export interface Outcome {
  readonly parsed: ParsedConversation[];
  readonly skipped: Record<string, number>;
  readonly warnings: Record<string, number>;
  readonly details: string[];
}

function context(): { ctx: ParseContext; outcome: Outcome } {
  const outcome: Outcome = { parsed: [], skipped: {}, warnings: {}, details: [] };
  const ctx: ParseContext = {
    source: 'test',
    skip(reason, detail) {
      outcome.skipped[reason] = (outcome.skipped[reason] ?? 0) + 1;
      outcome.details.push(`skip ${reason}: ${detail ?? ''}`);
    },
    warn(kind, detail) {
      outcome.warnings[kind] = (outcome.warnings[kind] ?? 0) + 1;
      outcome.details.push(`warn ${kind}: ${detail ?? ''}`);
    },
  };
  return { ctx, outcome };
}

export function runJson(adapter: ProviderAdapter, document: unknown): Outcome {
  const { ctx, outcome } = context();
  const { records } = jsonRecords(document);
  const consumer = adapter.createJsonConsumer?.(ctx);
  if (!consumer) throw new Error(`${adapter.provider} reads no JSON`);
  for (const record of records) outcome.parsed.push(...consumer.push(record));
  outcome.parsed.push(...consumer.end());
  return outcome;
}

export function runText(adapter: ProviderAdapter, text: string): Outcome {
  const { ctx, outcome } = context();
  if (!adapter.parseText) throw new Error(`${adapter.provider} reads no text`);
  outcome.parsed.push(...adapter.parseText(text, ctx));
  return outcome;
}

export function detect(adapter: ProviderAdapter, document: unknown): number {
  const { rootKind, records } = jsonRecords(document);
  const first = records[0];
  return first && adapter.detectJson ? adapter.detectJson(first, rootKind) : 0;
}

export function counts(outcome: Outcome): { conversations: number; active: number; inactive: number; skipped: Record<string, number>; warnings: Record<string, number> } {
  const nodes = outcome.parsed.flatMap((parsed) => parsed.nodes);
  return {
    conversations: outcome.parsed.length,
    active: nodes.filter((node) => node.active).length,
    inactive: nodes.filter((node) => !node.active).length,
    skipped: outcome.skipped,
    warnings: outcome.warnings,
  };
}

export function conversationTitled(outcome: Outcome, title: string): ParsedConversation {
  const found = outcome.parsed.find((parsed) => parsed.conversation.title === title);
  if (!found) throw new Error(`no conversation titled "${title}" among ${outcome.parsed.map((parsed) => parsed.conversation.title).join(', ')}`);
  return found;
}

export function activeNodes(parsed: ParsedConversation): NodeDraft[] {
  return parsed.nodes.filter((node) => node.active);
}

export interface EndToEnd {
  readonly report: ImportReport;
  readonly nodeIds: string[];
  readonly conversations: Conversation[];
  readonly nodes: MemoryNode[];
}

/**
 * Runs the real importer core on bytes, treating `known` node ids as already in the vault. Odd-sized chunks (cycling
 * through `chunkSizes`) so record and character boundaries fall anywhere.
 */
export async function importBytes(name: string, content: string | Uint8Array, known: ReadonlySet<string> = new Set(), chunkSizes: readonly number[] = [4093]): Promise<EndToEnd> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const store = new MemoryStore();
  const run = await runImport(bytesSource(bytes, chunkSizes, name), store, {
    now: () => 0,
    isKnown: (ids) => Promise.resolve(ids.map((id) => known.has(id) || store.nodes.has(id))),
  });
  return { report: run.report, nodeIds: run.nodes.map((node) => node.id), conversations: run.conversations, nodes: run.nodes };
}
