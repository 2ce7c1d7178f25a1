/**
 * Streaming zip reading with fflate's Unzip: entries are discovered as their local headers stream past, and only
 * the entries that can hold an export (JSON, CSV, HTML, text) are inflated; images and uploads are skipped without
 * inflating. Guards: encrypted entries, zip bombs (ratio of bytes produced to bytes consumed, and total),
 * truncated and corrupt archives.
 */
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { AppError, isAppError } from '../../errors';
import { concat, sniff, type EntryParser } from './entries';
import type { ImportLimits } from './types';

/** fflate inflates a whole pushed slice at once: small slices bound what one push can expand to (~1000x). */
const SLICE_BYTES = 16 * 1024;
/** The end-of-central-directory record sits in the last 22 bytes + up to 64 KB of comment. */
const TAIL_BYTES = 22 + 65_535;

export type EntryKind = 'json' | 'text';
export type EntryFactory = (name: string, kind: EntryKind) => EntryParser;

export interface ZipEntryState {
  readonly name: string;
  parser: EntryParser | null;
  /** Inflated (read) at all: images and other entries are passed over. */
  started: boolean;
  /** Readable but not a document (binary or not UTF-8). */
  unreadable: boolean;
  finished: boolean;
}

const READABLE = /\.(json|csv|html?|txt)$/i;
const HTML = /\.html?$/i;

export class ZipReader {
  private readonly unzip = new Unzip();
  private readonly entries: ZipEntryState[] = [];
  private carry = new Uint8Array(0);
  private tailChunks: Uint8Array[] = [];
  private tailBytes = 0;
  private totalInflated = 0;
  private compressedSeen = 0;
  /** compressedSeen before the slice being pushed (an entry's header is parsed somewhere inside that slice). */
  private sliceStart = 0;
  private failure: AppError | null = null;
  /** HTML entries passed over (read in a second pass only when nothing else was imported). */
  htmlSkipped = 0;

  constructor(
    private readonly limits: ImportLimits,
    private readonly factory: EntryFactory,
    /** 'data': every readable entry but HTML; 'html': only HTML entries. */
    private readonly pass: 'data' | 'html',
  ) {
    this.unzip.register(UnzipInflate);
    this.unzip.onfile = (file) => this.onFile(file);
  }

  get states(): readonly ZipEntryState[] {
    return this.entries;
  }

  push(chunk: Uint8Array): void {
    this.checkHeaders(chunk);
    this.keepTail(chunk);
    for (let at = 0; at < chunk.length; at += SLICE_BYTES) {
      const slice = chunk.subarray(at, Math.min(chunk.length, at + SLICE_BYTES));
      this.sliceStart = this.compressedSeen;
      this.compressedSeen += slice.length;
      this.feed(() => this.unzip.push(slice, false));
    }
  }

  end(): void {
    let endError: AppError | null = null;
    try {
      this.feed(() => this.unzip.push(new Uint8Array(0), true));
    } catch (error) {
      endError = error instanceof AppError ? error : new AppError('IMPORT_CORRUPT_ZIP', { cause: error });
    }
    const unfinished = this.entries.find((entry) => entry.started && !entry.finished);
    // A zip that stops early (no end record, an entry cut off) is truncated, whatever fflate made of its last bytes.
    if (unfinished !== undefined || !this.hasEndRecord()) {
      throw new AppError('IMPORT_TRUNCATED_ZIP', {
        detail: unfinished ? `${unfinished.name} is cut off` : 'the zip directory at the end is missing',
      });
    }
    if (endError !== null) throw endError;
  }

  private feed(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (isAppError(error)) throw error;
      throw new AppError('IMPORT_CORRUPT_ZIP', { detail: error instanceof Error ? error.message : String(error), cause: error });
    }
    if (this.failure !== null) throw this.failure;
  }

  private onFile(file: UnzipFile): void {
    const state: ZipEntryState = { name: file.name, parser: null, started: false, unreadable: false, finished: false };
    this.entries.push(state);
    if (file.name.endsWith('/') || !READABLE.test(file.name)) return;
    const isHtml = HTML.test(file.name);
    if (isHtml !== (this.pass === 'html')) {
      if (isHtml) this.htmlSkipped += 1;
      return;
    }
    if (file.compression === 99) throw new AppError('IMPORT_ENCRYPTED_ZIP', { detail: `${file.name} is AES-encrypted` });
    if (file.compression !== 0 && file.compression !== 8) {
      throw new AppError('IMPORT_CORRUPT_ZIP', { detail: `${file.name} uses compression method ${file.compression}` });
    }
    const startedAt = this.sliceStart;
    let inflated = 0;
    let head: Uint8Array[] = [];
    file.ondata = (error, data, final) => {
      if (this.failure !== null) return;
      try {
        if (error) throw new AppError('IMPORT_CORRUPT_ZIP', { detail: `${file.name}: ${error.message}` });
        inflated += data.length;
        this.totalInflated += data.length;
        // Compressed bytes actually consumed since the entry began, never the size its header claims: a header
        // patched to claim 2 GB would otherwise let a bomb inflate in full.
        const compressed = Math.max(this.compressedSeen - startedAt, 1);
        if ((inflated > this.limits.zipRatioFloorBytes && inflated > compressed * this.limits.maxZipRatio) || this.totalInflated > this.limits.maxZipTotalBytes) {
          throw new AppError('IMPORT_ZIP_BOMB', { detail: `${file.name} expands to more than ${inflated} bytes from ${compressed}` });
        }
        if (final) state.finished = true;
        if (state.unreadable) return;
        if (state.parser === null) {
          // Decide JSON or text by the entry's first bytes (its name only says whether it is worth reading).
          head.push(data);
          const bytes = concat(head);
          let kind: ReturnType<typeof sniff>;
          try {
            kind = sniff(bytes, final);
          } catch {
            state.unreadable = true;
            head = [];
            return;
          }
          if (kind === 'undecided' && !final) return;
          head = [];
          if (kind === 'empty' || kind === 'undecided' || kind === 'zip') {
            state.unreadable = true;
            return;
          }
          state.parser = this.factory(file.name, kind);
          state.parser.push(bytes);
        } else {
          state.parser.push(data);
        }
        if (final) state.parser.end();
      } catch (caught) {
        this.failure = caught instanceof AppError ? caught : new AppError('IMPORT_CORRUPT_ZIP', { detail: String(caught), cause: caught });
      }
    };
    state.started = true;
    file.start();
  }

  /** See scanHeaders; 29 bytes are carried over so a header split across chunks is seen. */
  private checkHeaders(chunk: Uint8Array): void {
    if (chunk.length < 64) {
      const view = concat([this.carry, chunk]);
      scanHeaders(view, view.length);
      this.carry = view.slice(Math.max(0, view.length - 29));
      return;
    }
    // Headers that start in the carried bytes, then the chunk itself (no copy of the whole chunk).
    if (this.carry.length > 0) scanHeaders(concat([this.carry, chunk.subarray(0, 29)]), this.carry.length);
    scanHeaders(chunk, chunk.length);
    this.carry = chunk.slice(chunk.length - 29);
  }

  private keepTail(chunk: Uint8Array): void {
    this.tailChunks.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailChunks.length > 1 && this.tailBytes - (this.tailChunks[0] as Uint8Array).length >= TAIL_BYTES) {
      this.tailBytes -= (this.tailChunks.shift() as Uint8Array).length;
    }
  }

  private hasEndRecord(): boolean {
    const tail = concat(this.tailChunks);
    for (let at = tail.length - 22; at >= 0; at -= 1) {
      if (tail[at] === 0x50 && tail[at + 1] === 0x4b && tail[at + 2] === 0x05 && tail[at + 3] === 0x06) return true;
    }
    return false;
  }
}

/**
 * fflate does not expose the general-purpose flags, so local headers are checked here for the encryption bit
 * (ZipCrypto keeps method 8, so the method alone cannot tell). A header is recognised by its signature plus
 * plausible version, method and name length. Only headers starting before `startsBelow` are looked at.
 */
function scanHeaders(view: Uint8Array, startsBelow: number): void {
  let at = view.indexOf(0x50);
  while (at !== -1 && at < startsBelow && at + 30 <= view.length) {
    if (view[at + 1] === 0x4b && view[at + 2] === 0x03 && view[at + 3] === 0x04) {
      const version = (view[at + 4] as number) | ((view[at + 5] as number) << 8);
      const flags = view[at + 6] as number;
      const method = (view[at + 8] as number) | ((view[at + 9] as number) << 8);
      const nameLength = (view[at + 26] as number) | ((view[at + 27] as number) << 8);
      const plausible = version < 100 && [0, 8, 9, 12, 14, 99].includes(method) && nameLength > 0 && nameLength < 4096;
      if (plausible && (flags & 1) === 1) throw new AppError('IMPORT_ENCRYPTED_ZIP');
    }
    at = view.indexOf(0x50, at + 1);
  }
}
