/**
 * The import pipeline: bytes → (zip entries) → records → adapter → conversation drafts → ids → batches.
 * See shared/import/index.ts for the contract.
 */
import { AppError, toAppError } from '../../errors';
import { conversationKey, type Conversation, type Provider } from '../../model';
import { assignNodeIds } from '../identity';
import { SKIP_REASONS, WARNING_KINDS, type ParseContext, type ParsedConversation, type ProviderAdapter, type SkipReason, type WarningKind } from '../provider';
import { PROVIDER_ADAPTERS } from '../providers';
import type { BackupImport } from '../providers/vault-backup';
import { JsonEntryParser, TextEntryParser, concat, sniff, type EntryParser, type EntrySink } from './entries';
import {
  DEFAULT_LIMITS,
  type ImportBatch,
  type ImportedConversation,
  type ImportEntryReport,
  type ImportLimits,
  type ImportOptions,
  type ImportReport,
  type ImportSource,
} from './types';
import { ZipReader, type EntryKind } from './zip';

const DEFAULT_BATCH_SIZE = 200;
/**
 * Bytes handed to a parser at a time; what they complete is taken into the batch before the next slice. A source
 * may deliver much larger chunks (a node file stream of 1 MB): parsed whole, a chunk's 15–20 conversations (raw
 * text, parsed values, drafts) were all alive at once, long enough for V8 to promote them to the old generation,
 * and each big raw text (over 128 KB as UTF-16) straight into the large-object space. That garbage then waited for
 * a full collection, which V8 runs only once the old generation has grown to about four times what is live: a
 * 1 GB import peaked at ~250 MB of RSS, most of it dead text. Slices keep the record in flight short-lived.
 */
const SLICE_BYTES = 64 * 1024;
/** A batch also ends once its conversations' raw text passes this (ImportOptions.batchChars): what is in flight bounds the importer's memory. */
const DEFAULT_BATCH_CHARS = 2 * 1024 * 1024;

interface Draft {
  readonly provider: Provider;
  readonly parsed: ParsedConversation;
  readonly position: number;
  /** The vault conversation id (the adapter's, or derived from the provider's). */
  readonly id: string;
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const key of keys) out[key] = 0;
  return out;
}

/**
 * The source's chunks, one read ahead: the next read is already under way while the current chunk is parsed, so
 * reading and parsing overlap (the parse is synchronous per chunk).
 */
async function* chunksOf(source: ImportSource): AsyncGenerator<Uint8Array> {
  let stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  try {
    stream = source.stream();
  } catch (error) {
    throw new AppError('IMPORT_READ_FAILED', { detail: toAppError(error).detail, cause: error });
  }
  let read: () => Promise<{ done?: boolean; value?: Uint8Array }>;
  let close: () => Promise<void>;
  if ('getReader' in stream) {
    const reader = stream.getReader();
    read = () => reader.read();
    close = async () => {
      await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    };
  } else {
    const iterator = stream[Symbol.asyncIterator]();
    read = () => iterator.next();
    close = async () => {
      await iterator.return?.();
    };
  }
  let pending = readOrFail(read);
  try {
    for (;;) {
      const next = await pending;
      if (next.done === true || next.value === undefined) return;
      pending = readOrFail(read);
      // A read left pending when the import stops early must not surface as an unhandled rejection.
      pending.catch(() => undefined);
      yield next.value;
    }
  } finally {
    await close();
  }
}

async function readOrFail<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new AppError('IMPORT_READ_FAILED', { detail: toAppError(error).detail, cause: error });
  }
}

/** Everything one import run counts and holds (not the conversations: those leave in batches). */
class Run implements EntrySink {
  readonly limits: ImportLimits;
  readonly adapters: readonly ProviderAdapter[];
  readonly skipped = zeroCounts<SkipReason>(SKIP_REASONS);
  readonly warnings = zeroCounts<WarningKind>(WARNING_KINDS);
  readonly notices = new Map<string, AppError>();
  readonly ready: Draft[] = [];
  /** Conversation ids delivered (or resumed past) in this run: a repeat is de-duplicated. */
  readonly seen = new Set<string>();
  readonly providerCounts = new Map<Provider, number>();
  readonly entries: ImportEntryReport[] = [];
  readonly history: BackupImport[] = [];
  position = 0;
  bytesRead = 0;
  records = 0;
  conversations = 0;
  nodes = 0;
  duplicates = 0;

  constructor(readonly options: ImportOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.adapters = options.adapters ?? PROVIDER_ADAPTERS;
  }

  nextPosition(record: boolean): number {
    if (record) this.records += 1;
    this.position += 1;
    return this.position;
  }

  deliver(conversations: readonly ParsedConversation[], position: number): void {
    for (const parsed of conversations) {
      const { id, provider, providerConversationId } = parsed.conversation;
      this.ready.push({ provider, parsed, position, id: id || conversationKey(provider, providerConversationId) });
    }
  }

  context(source: string): ParseContext {
    return {
      source,
      skip: (reason) => {
        this.skipped[reason] += 1;
      },
      warn: (kind) => {
        this.warnings[kind] += 1;
      },
      history: (entry) => {
        this.history.push(entry);
      },
    };
  }

  notice(error: AppError): void {
    if (!this.notices.has(error.code)) this.notices.set(error.code, error);
  }

  createParser(name: string, kind: EntryKind, optional: boolean): EntryParser {
    return kind === 'json'
      ? new JsonEntryParser(name, this.adapters, this, this.limits, optional)
      : new TextEntryParser(name, this.adapters, this, this.limits, optional);
  }

  report(status: ImportReport['status'], ms: number, error?: AppError): ImportReport {
    const providers = [...this.providerCounts.entries()].sort((a, b) => b[1] - a[1]).map(([provider]) => provider);
    const report: ImportReport = {
      status,
      provider: providers[0] ?? null,
      providers,
      entries: this.entries,
      records: this.records,
      conversations: this.conversations,
      nodes: this.nodes,
      duplicates: this.duplicates,
      skipped: this.skipped,
      warnings: this.warnings,
      notices: [...this.notices.values()].map((notice) => notice.toData()),
      bytes: this.bytesRead,
      ms,
      history: this.history,
    };
    if (error !== undefined) report.error = error.toData();
    return report;
  }
}

/** Importer implementation: see shared/import/index.ts. */
export async function* importExport(source: ImportSource, options: ImportOptions): AsyncGenerator<ImportBatch, ImportReport, void> {
  const started = options.now();
  const run = new Run(options);
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const maxBatchChars = Math.max(1, options.batchChars ?? DEFAULT_BATCH_CHARS);
  const skipRecords = options.skipRecords ?? 0;
  let batch: Draft[] = [];
  let batchChars = 0;

  const checkAbort = (): void => {
    if (options.signal?.aborted) throw new AppError('IMPORT_CANCELLED');
  };

  /** Turns the drafts into conversations + new nodes, asking `isKnown` once for the whole batch. */
  async function finalize(drafts: readonly Draft[]): Promise<ImportBatch> {
    const prepared = await Promise.all(
      drafts.map(async (draft) => {
        const nodes = await assignNodeIds(draft.provider, draft.id, draft.parsed.nodes, options.digest);
        const conversation: Conversation = {
          ...draft.parsed.conversation,
          id: draft.id,
          schemaVersion: 1,
          nodeCount: nodes.filter((node) => node.active).length,
        };
        return { draft, conversation, nodes };
      }),
    );
    const ids = prepared.flatMap((item) => item.nodes.map((node) => node.id));
    const known = options.isKnown ? await options.isKnown(ids) : ids.map(() => false);
    const inBatch = new Set<string>();
    const items: ImportedConversation[] = [];
    let at = 0;
    for (const { draft, conversation, nodes } of prepared) {
      const fresh = [];
      for (const node of nodes) {
        const isKnown = known[at] === true || inBatch.has(node.id);
        at += 1;
        inBatch.add(node.id);
        if (isKnown) continue;
        fresh.push(node);
      }
      const duplicates = nodes.length - fresh.length;
      const repeat = run.seen.has(conversation.id);
      if (repeat) {
        // The same conversation again (split files overlap): keep only what it adds.
        run.skipped['duplicate-conversation'] += 1;
        if (fresh.length === 0) continue;
      } else {
        run.seen.add(conversation.id);
        run.conversations += 1;
        run.providerCounts.set(draft.provider, (run.providerCounts.get(draft.provider) ?? 0) + 1);
      }
      run.nodes += fresh.length;
      run.duplicates += duplicates;
      items.push({ conversation, nodes: fresh, duplicates });
    }
    const last = drafts[drafts.length - 1];
    return {
      items,
      progress: {
        bytesRead: run.bytesRead,
        totalBytes: source.size,
        records: run.records,
        conversations: run.conversations,
        nodes: run.nodes,
        duplicates: run.duplicates,
      },
      checkpoint: { records: last?.position ?? run.position },
    };
  }

  /** Moves what the parsers completed into the batch; returns a full batch to yield, if any. */
  async function take(force: boolean): Promise<ImportBatch | null> {
    for (const draft of run.ready.splice(0)) {
      if (draft.position <= skipRecords) {
        run.seen.add(draft.id);
        continue;
      }
      if (!options.isKnown && run.seen.has(draft.id)) {
        // Without a way to ask what is stored, a repeated conversation cannot be told apart: skip it.
        run.skipped['duplicate-conversation'] += 1;
        continue;
      }
      batch.push(draft);
      batchChars += draft.parsed.conversation.raw.length;
    }
    // Cut only at a position boundary so a checkpoint never falls inside one record's conversations.
    if (batch.length >= batchSize || batchChars >= maxBatchChars || (force && batch.length > 0)) {
      const drafts = batch;
      batch = [];
      batchChars = 0;
      return finalize(drafts);
    }
    return null;
  }

  try {
    let kind: 'json' | 'text' | 'zip' | null = null;
    let parser: EntryParser | null = null;
    let zip: ZipReader | null = null;
    let head: Uint8Array[] = [];
    for await (const chunk of chunksOf(source)) {
      checkAbort();
      run.bytesRead += chunk.length;
      if (kind === null) {
        head.push(chunk);
        const bytes = concat(head);
        const sniffed = sniff(bytes, false);
        if (sniffed === 'undecided' || sniffed === 'empty') {
          // Leading whitespace decides nothing: do not hold on to it (a file of blanks must not fill memory).
          if (bytes.length > 4096 && isBlank(bytes)) head = [];
          continue;
        }
        kind = sniffed;
        if (kind === 'zip') zip = new ZipReader(run.limits, (name, entryKind) => run.createParser(name, entryKind, true), 'data');
        else parser = run.createParser(source.name, kind, false);
      }
      const target = zip ?? parser;
      const bytes = head.length > 0 ? concat(head) : chunk;
      head = [];
      for (let at = 0; at < bytes.length && target !== null; at += SLICE_BYTES) {
        if (at > 0) checkAbort();
        target.push(bytes.subarray(at, Math.min(bytes.length, at + SLICE_BYTES)));
        const full = await take(false);
        if (full !== null) yield full;
      }
    }
    checkAbort();
    if (kind === null) {
      const sniffed = sniff(concat(head), true);
      if (sniffed === 'empty' || head.length === 0) throw new AppError('IMPORT_EMPTY_FILE');
      kind = sniffed === 'json' ? 'json' : 'text';
      parser = run.createParser(source.name, kind, false);
      parser.push(concat(head));
    }
    if (zip !== null) {
      zip.end();
      let imported = recordZipEntries(run, zip);
      if (imported === 0 && zip.htmlSkipped > 0) {
        // HTML holds the same data as JSON: read it only when the zip had no JSON export.
        const html = new ZipReader(run.limits, (name, entryKind) => run.createParser(name, entryKind, true), 'html');
        for await (const chunk of chunksOf(source)) {
          for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
            checkAbort();
            html.push(chunk.subarray(at, Math.min(chunk.length, at + SLICE_BYTES)));
            const full = await take(false);
            if (full !== null) yield full;
          }
        }
        html.end();
        imported = recordZipEntries(run, html);
      }
      if (imported === 0) throw new AppError(isMarkdownExport(zip) ? 'IMPORT_MARKDOWN_EXPORT' : 'IMPORT_ZIP_NO_EXPORT');
    } else if (parser !== null) {
      parser.end();
      run.entries.push({ name: source.name, provider: parser.provider, bytes: parser.bytes, conversations: parser.conversations, status: 'imported' });
    }
    const last = await take(true);
    if (last !== null) yield last;
    return run.report('complete', options.now() - started);
  } catch (caught) {
    const error = toAppError(caught);
    if (error.code === 'IMPORT_CANCELLED') return run.report('cancelled', options.now() - started, error);
    // What completed before the failure is still delivered, but the import is reported as failed, never complete.
    try {
      const last = await take(true);
      if (last !== null) yield last;
    } catch (late) {
      return run.report('failed', options.now() - started, toAppError(late));
    }
    return run.report('failed', options.now() - started, error);
  }
}

function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((c) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09);
}

/**
 * The app's own Markdown export (a README.md and one .md per conversation): made for reading, not restoring. Only
 * chooses the message: names decide nothing about what is imported.
 */
function isMarkdownExport(zip: ZipReader): boolean {
  const files = zip.states.filter((state) => !state.name.endsWith('/'));
  return files.some((state) => state.name === 'README.md') && files.every((state) => state.name.endsWith('.md'));
}

function recordZipEntries(run: Run, zip: ZipReader): number {
  let imported = 0;
  for (const state of zip.states) {
    const parser = state.parser;
    if (parser === null) {
      if (state.unreadable) run.warnings['ignored-entry'] += 1;
      continue;
    }
    const claimed = parser.claimed && !parser.ignored;
    if (claimed) imported += 1;
    else run.warnings['ignored-entry'] += 1;
    run.entries.push({
      name: state.name,
      provider: claimed ? parser.provider : null,
      bytes: parser.bytes,
      conversations: parser.conversations,
      status: claimed ? 'imported' : 'ignored',
    });
  }
  return imported;
}
