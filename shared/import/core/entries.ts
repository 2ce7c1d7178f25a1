/**
 * Entry parsers: turn the bytes of one document (a plain file or one zip entry) into parsed conversations, through
 * the adapter that claims it by content. Synchronous: the pipeline pushes bytes and collects what completes.
 */
import { AppError, isAppError, toAppError } from '../../errors';
import type { Provider } from '../../model';
import type { JsonRecord, ParseContext, ParsedConversation, ProviderAdapter, RecordConsumer } from '../provider';
import { JsonRecordScanner, type ScannedRecord } from './json-scanner';
import type { ImportLimits } from './types';

/** What an entry parser reports to the run (counters, positions, completed conversations). */
export interface EntrySink {
  /** Called once per record (`record`: true) or end of document: the position stamps what completes there (resume checkpoints). */
  nextPosition(record: boolean): number;
  /** Each conversation names its provider (one adapter's, or several in the app's own backup). */
  deliver(conversations: readonly ParsedConversation[], position: number): void;
  context(source: string): ParseContext;
  notice(error: AppError): void;
}

export interface EntryParser {
  push(bytes: Uint8Array): void;
  end(): void;
  /** True once an adapter claimed the entry. */
  readonly claimed: boolean;
  /** The claiming adapter's provider; null while none claimed it, or when it holds several (a backup). */
  readonly provider: Provider | null;
  /** True once the entry is known not to be an export (only for zip entries: a plain file throws instead). */
  readonly ignored: boolean;
  readonly bytes: number;
  readonly conversations: number;
}

/** How many records may be read (and held) while no adapter has claimed the document yet. */
const MAX_UNCLAIMED_RECORDS = 256;
const MAX_UNCLAIMED_BYTES = 32 * 1024 * 1024;
/** Bytes of a text document looked at to detect its provider. */
const TEXT_HEAD_BYTES = 16 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

function bestAdapter(adapters: readonly ProviderAdapter[], score: (adapter: ProviderAdapter) => number): ProviderAdapter | null {
  let best: ProviderAdapter | null = null;
  let bestScore = 0;
  for (const adapter of adapters) {
    let value = 0;
    try {
      value = score(adapter);
    } catch {
      value = 0; // a detector that throws on odd input simply does not claim it
    }
    if (value > bestScore) {
      best = adapter;
      bestScore = value;
    }
  }
  return best;
}

type Pending = { readonly record: JsonRecord | null; readonly position: number; readonly tooLarge: boolean };

export class JsonEntryParser implements EntryParser {
  private readonly scanner: JsonRecordScanner;
  private adapter: ProviderAdapter | null = null;
  private consumer: RecordConsumer | null = null;
  private ctx: ParseContext | null = null;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private records = 0;
  ignored = false;
  bytes = 0;
  conversations = 0;

  constructor(
    private readonly name: string,
    private readonly adapters: readonly ProviderAdapter[],
    private readonly sink: EntrySink,
    limits: ImportLimits,
    /** Zip entries that turn out not to be exports are ignored; a plain file that is not one fails the import. */
    private readonly optional: boolean,
  ) {
    this.scanner = new JsonRecordScanner(limits, (record) => this.onRecord(record));
  }

  get claimed(): boolean {
    return this.adapter !== null;
  }

  get provider(): Provider | null {
    return this.adapter?.provider ?? null;
  }

  push(bytes: Uint8Array): void {
    if (this.ignored) return;
    this.bytes += bytes.length;
    this.guard(() => this.scanner.push(bytes));
  }

  end(): void {
    if (this.ignored) return;
    this.guard(() => this.scanner.end());
    if (this.ignored) return;
    const position = this.sink.nextPosition(false);
    if (this.records === 0) {
      this.giveUp(new AppError('IMPORT_EMPTY_FILE', { detail: `${this.name} holds an empty list` }));
      return;
    }
    if (this.consumer === null || this.adapter === null) {
      this.giveUp(new AppError('IMPORT_NOT_AN_EXPORT', { detail: `${this.name}: no importer recognised its records` }));
      return;
    }
    const consumer = this.consumer;
    this.emit(this.safely(() => consumer.end()), position);
  }

  /** Before a claim, structural errors mean "not an export" for an optional entry; after it they are real. */
  private guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      const appError = toAppError(error);
      if (this.optional && this.consumer === null && appError.code !== 'IMPORT_ZIP_BOMB') {
        this.giveUp(appError);
        return;
      }
      throw appError;
    }
  }

  private giveUp(error: AppError): void {
    if (!this.optional) throw error;
    this.ignored = true;
    this.pending = [];
  }

  private onRecord(scanned: ScannedRecord): void {
    this.records += 1;
    const position = this.sink.nextPosition(true);
    const record = scanned.bytes === null ? null : parseRecord(scanned, scanned.bytes);
    if (this.consumer !== null) {
      this.consume(record, position, scanned.bytes === null);
      return;
    }
    this.pending.push({ record, position, tooLarge: scanned.bytes === null });
    this.pendingBytes += scanned.size;
    const rootKind = this.scanner.rootKind ?? 'array';
    const adapter = record === null ? null : bestAdapter(this.adapters, (a) => (a.detectJson && a.createJsonConsumer ? a.detectJson(record, rootKind) : 0));
    if (adapter?.createJsonConsumer) {
      this.adapter = adapter;
      this.ctx = this.sink.context(this.name);
      this.consumer = adapter.createJsonConsumer(this.ctx);
      const replay = this.pending;
      this.pending = [];
      for (const item of replay) this.consume(item.record, item.position, item.tooLarge);
      return;
    }
    if (this.pending.length > MAX_UNCLAIMED_RECORDS || this.pendingBytes > MAX_UNCLAIMED_BYTES) {
      throw new AppError('IMPORT_NOT_AN_EXPORT', { detail: `${this.name}: no importer recognised its first records` });
    }
  }

  private consume(record: JsonRecord | null, position: number, tooLarge: boolean): void {
    const ctx = this.ctx as ParseContext;
    if (record === null) {
      if (tooLarge) {
        ctx.skip('record-too-large');
        this.sink.notice(new AppError('IMPORT_RECORD_TOO_LARGE'));
      } else {
        ctx.skip('malformed-record', 'not valid JSON or not UTF-8');
      }
      return;
    }
    const consumer = this.consumer as RecordConsumer;
    this.emit(this.safely(() => consumer.push(record)), position);
  }

  /** An adapter that throws on one odd record costs that record, not the file. */
  private safely(run: () => ParsedConversation[]): ParsedConversation[] {
    try {
      return run();
    } catch (error) {
      (this.ctx as ParseContext).skip('malformed-record', toAppError(error).detail);
      return [];
    }
  }

  private emit(conversations: readonly ParsedConversation[], position: number): void {
    if (conversations.length === 0 || this.adapter === null) return;
    this.conversations += conversations.length;
    this.sink.deliver(conversations, position);
  }
}

function parseRecord(scanned: ScannedRecord, bytes: Uint8Array): JsonRecord | null {
  try {
    const raw = decoder.decode(bytes).trim();
    const value: unknown = JSON.parse(raw);
    return { path: scanned.path, index: scanned.index, inArray: scanned.inArray, value, raw };
  } catch {
    return null;
  }
}

/** CSV/HTML: small by nature, read whole (up to a limit) and handed to the adapter that claims its head. */
export class TextEntryParser implements EntryParser {
  private chunks: Uint8Array[] = [];
  private adapter: ProviderAdapter | null = null;
  private decided = false;
  private tooLarge = false;
  ignored = false;
  bytes = 0;
  conversations = 0;

  constructor(
    private readonly name: string,
    private readonly adapters: readonly ProviderAdapter[],
    private readonly sink: EntrySink,
    private readonly limits: ImportLimits,
    private readonly optional: boolean,
  ) {}

  get claimed(): boolean {
    return this.adapter !== null;
  }

  get provider(): Provider | null {
    return this.adapter?.provider ?? null;
  }

  push(bytes: Uint8Array): void {
    if (this.ignored) return;
    this.bytes += bytes.length;
    if (this.bytes > this.limits.maxTextBytes) {
      this.tooLarge = true;
      this.chunks = [];
    } else {
      this.chunks.push(bytes);
    }
    if (!this.decided && this.bytes >= TEXT_HEAD_BYTES) this.decide();
  }

  end(): void {
    if (this.ignored) return;
    if (!this.decided) this.decide();
    if (this.ignored || this.adapter === null) return;
    const position = this.sink.nextPosition(true);
    const ctx = this.sink.context(this.name);
    if (this.tooLarge) {
      ctx.skip('record-too-large');
      this.sink.notice(new AppError('IMPORT_RECORD_TOO_LARGE'));
      return;
    }
    let text: string;
    try {
      text = decoder.decode(concat(this.chunks));
    } catch (error) {
      throw new AppError('IMPORT_UNSUPPORTED_ENCODING', { detail: `${this.name} is not UTF-8`, cause: error });
    }
    this.chunks = [];
    const adapter = this.adapter;
    let conversations: ParsedConversation[] = [];
    try {
      conversations = adapter.parseText ? adapter.parseText(text.replace(/^\uFEFF/, ''), ctx) : [];
    } catch (error) {
      // An adapter's own error code is its verdict on the whole document (e.g. a CSV quote never closed): fail
      // clearly instead of counting one skipped record in a "complete" import.
      if (isAppError(error)) throw error;
      ctx.skip('malformed-record', toAppError(error).detail);
    }
    this.conversations += conversations.length;
    if (conversations.length > 0) this.sink.deliver(conversations, position);
  }

  private decide(): void {
    this.decided = true;
    const head = new TextDecoder('utf-8').decode(concat(this.chunks).subarray(0, TEXT_HEAD_BYTES)).replace(/^\uFEFF/, '');
    this.adapter = bestAdapter(this.adapters, (a) => (a.detectText && a.parseText ? a.detectText(head) : 0));
    if (this.adapter === null) {
      const error = new AppError('IMPORT_NOT_AN_EXPORT', { detail: `${this.name}: no importer recognised this text` });
      if (!this.optional) throw error;
      this.ignored = true;
      this.chunks = [];
    }
  }
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Sniffs a document by its first meaningful bytes and returns the right parser. Buffers only until it can decide.
 * Returns 'zip' for a zip archive (handled by the caller); throws for encodings we cannot read.
 */
export type Sniffed = 'json' | 'text' | 'zip' | 'empty' | 'undecided';

export function sniff(head: Uint8Array, final: boolean): Sniffed {
  let i = 0;
  if (head[0] === 0xff && head[1] === 0xfe) throw new AppError('IMPORT_UNSUPPORTED_ENCODING', { detail: 'UTF-16 (little endian) text' });
  if (head[0] === 0xfe && head[1] === 0xff) throw new AppError('IMPORT_UNSUPPORTED_ENCODING', { detail: 'UTF-16 (big endian) text' });
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b) {
    if (head[2] === 0x03 && head[3] === 0x04) return 'zip';
    if (head[2] === 0x05 && head[3] === 0x06) return 'zip';
  }
  if (head.length < 4 && !final) return 'undecided';
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length) {
    const c = head[i] as number;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i += 1;
      continue;
    }
    if (c === 0x5b || c === 0x7b) return 'json';
    if (!looksLikeText(head)) binary();
    return 'text';
  }
  return final ? 'empty' : 'undecided';
}

function binary(): never {
  throw new AppError('IMPORT_NOT_AN_EXPORT', { detail: 'binary data that is neither a zip nor text' });
}

/** Text exports (CSV/HTML) have no NUL bytes in their head; binary files nearly always do. */
function looksLikeText(head: Uint8Array): boolean {
  const sample = head.subarray(0, 4096);
  return !sample.includes(0);
}
