/**
 * A byte-level scanner that finds the boundaries of each record of a JSON document without parsing it: the
 * elements of a root array; for a root object, the elements of each top-level array property and each non-array
 * property value. It tracks strings, escapes and nesting only, buffers nothing but the record in progress, and
 * leaves real parsing of each record to native JSON.parse (much faster than a JS tokenizer). Chunks may split the
 * document anywhere: inside strings, escapes or multi-byte characters.
 *
 * Structural problems between records are fatal (the rest of the document cannot be trusted to line up); problems
 * inside a record are left to JSON.parse, which makes them a skipped record.
 */
import { AppError } from '../../errors';

export interface ScannedRecord {
  readonly path: string;
  readonly index: number;
  readonly inArray: boolean;
  /** The record's bytes, or null when it exceeded the size limit (its size is still known). */
  readonly bytes: Uint8Array | null;
  readonly size: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const ARRAY = 1;
const OBJECT = 2;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Where the scanner stands in the root's own structure (records are opaque to it except for depth). */
const enum Phase {
  BeforeRoot,
  /** Inside the root array or a record array: a value or the closing bracket may come. */
  ExpectElement,
  /** A value just ended at slot level: a comma or the closing bracket may come. */
  AfterElement,
  /** Root object: a key or '}' may come. */
  ExpectKey,
  /** Root object: inside a key string. */
  InKey,
  ExpectColon,
  ExpectPropertyValue,
  /** Root object: a property ended: ',' or '}' may come. */
  AfterProperty,
  /** Capturing a record (possibly nested deeper). */
  InRecord,
  AfterRoot,
}

export class JsonRecordScanner {
  private phase = Phase.BeforeRoot;
  private depth = 0;
  private readonly stack: Uint8Array;
  private inString = false;
  private escape = false;
  private bomBytes = 0;
  private offset = 0;
  private sawComma = false;
  private root: 'array' | 'object' | null = null;
  /** Depth of the container whose direct children are records. */
  private slotDepth = 0;
  private slotPath = '';
  private slotIndex = 0;
  private slotInArray = true;
  private pieces: Uint8Array[] = [];
  private captured = 0;
  private tooLarge = false;
  private keyPieces: Uint8Array[] = [];

  constructor(
    private readonly limits: { readonly maxDepth: number; readonly maxRecordBytes: number },
    private readonly onRecord: (record: ScannedRecord) => void,
  ) {
    this.stack = new Uint8Array(limits.maxDepth + 2);
  }

  get rootKind(): 'array' | 'object' | null {
    return this.root;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    let captureStart = this.phase === Phase.InRecord ? 0 : -1;
    let keyStart = this.phase === Phase.InKey ? 0 : -1;
    while (i < n) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          i += 1;
          if (i >= n) break;
        }
        // String contents: jump from quote to quote with the native search, and only look back at the run of
        // backslashes before each quote (an odd run escapes it). Most of an export's bytes are inside strings.
        const end = closingQuote(chunk, i);
        if (end < 0) {
          // No closing quote in this chunk: an odd run of backslashes at its end escapes the next chunk's first byte.
          this.escape = backslashRunIsOdd(chunk, i, n);
          i = n;
          break;
        }
        i = end;
        this.inString = false;
        i += 1;
        if (this.phase === Phase.InKey) {
          this.keyPieces.push(chunk.subarray(keyStart, i));
          keyStart = -1;
          this.slotPath = this.decodeKey();
          this.phase = Phase.ExpectColon;
        }
        continue;
      }
      if (this.phase === Phase.InRecord) {
        i = this.scanRecord(chunk, i);
        if (i < n) {
          this.finishRecord(chunk, captureStart, i);
          captureStart = -1;
        }
        continue; // a record that ended: re-read its closing byte in the slot's phase
      }
      const c = chunk[i] as number;
      if (isWhitespace(c)) {
        i += 1;
        continue;
      }
      switch (this.phase) {
        case Phase.BeforeRoot:
          if (this.offset + i === this.bomBytes && this.bomBytes < 3 && c === [0xef, 0xbb, 0xbf][this.bomBytes]) {
            this.bomBytes += 1;
            break;
          }
          if (c === OPEN_BRACKET) {
            this.root = 'array';
            this.open(c);
            this.enterArraySlot('', true);
          } else if (c === OPEN_BRACE) {
            this.root = 'object';
            this.open(c);
            this.phase = Phase.ExpectKey;
          } else if (c === QUOTE || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
            throw new AppError('IMPORT_NOT_AN_EXPORT', { detail: 'the JSON document is a single value, not a list or object' });
          } else {
            throw invalid(this.offset + i, 'expected [ or { at the start');
          }
          break;
        case Phase.ExpectElement:
          if (c === CLOSE_BRACKET) {
            if (this.sawComma) throw invalid(this.offset + i, 'trailing comma');
            this.closeSlotArray(c);
            break;
          }
          if (c === COMMA) throw invalid(this.offset + i, 'missing value');
          captureStart = this.startRecord(c, i);
          continue;
        case Phase.AfterElement:
          if (c === COMMA) {
            this.slotIndex += 1;
            this.sawComma = true;
            this.phase = Phase.ExpectElement;
          } else if (c === CLOSE_BRACKET) {
            this.closeSlotArray(c);
          } else {
            throw invalid(this.offset + i, 'expected , or ]');
          }
          break;
        case Phase.ExpectKey:
          if (c === QUOTE) {
            this.phase = Phase.InKey;
            this.inString = true;
            this.keyPieces = [];
            keyStart = i;
          } else if (c === CLOSE_BRACE && !this.sawComma) {
            this.close(c);
            this.phase = Phase.AfterRoot;
          } else {
            throw invalid(this.offset + i, 'expected a property name');
          }
          break;
        case Phase.ExpectColon:
          if (c !== COLON) throw invalid(this.offset + i, 'expected :');
          this.phase = Phase.ExpectPropertyValue;
          break;
        case Phase.ExpectPropertyValue:
          if (c === OPEN_BRACKET) {
            this.open(c);
            this.enterArraySlot(this.slotPath, true);
            break;
          }
          if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON) throw invalid(this.offset + i, 'missing value');
          this.slotDepth = 1;
          this.slotIndex = 0;
          this.slotInArray = false;
          captureStart = this.startRecord(c, i);
          continue;
        case Phase.AfterProperty:
          if (c === COMMA) {
            this.sawComma = true;
            this.phase = Phase.ExpectKey;
          } else if (c === CLOSE_BRACE) {
            this.close(c);
            this.phase = Phase.AfterRoot;
          } else {
            throw invalid(this.offset + i, 'expected , or }');
          }
          break;
        case Phase.AfterRoot:
          throw invalid(this.offset + i, 'data after the end of the document');
        default:
          break;
      }
      i += 1;
    }
    if (captureStart >= 0 && this.phase === Phase.InRecord) this.keep(chunk.subarray(captureStart));
    if (keyStart >= 0 && this.phase === Phase.InKey) this.keyPieces.push(chunk.subarray(keyStart));
    this.offset += n;
  }

  /**
   * Inside a record: follows nesting and strings (with local state, this is most of the work) until the byte that
   * ends the record at slot level (returned: a ',' ']' or '}' not consumed) or the end of the chunk (returned: its
   * length, possibly inside a string).
   */
  private scanRecord(chunk: Uint8Array, from: number): number {
    const n = chunk.length;
    const stack = this.stack;
    const slotDepth = this.slotDepth;
    let depth = this.depth;
    let i = from;
    try {
      while (i < n) {
        const c = chunk[i] as number;
        if (c === QUOTE) {
          const end = closingQuote(chunk, i + 1);
          if (end < 0) {
            this.inString = true;
            this.escape = backslashRunIsOdd(chunk, i + 1, n);
            return n;
          }
          i = end + 1;
          continue;
        }
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          if (depth >= this.limits.maxDepth) {
            throw new AppError('IMPORT_TOO_DEEP', { detail: `nesting deeper than ${this.limits.maxDepth} at byte ${this.offset}` });
          }
          depth += 1;
          stack[depth] = c === OPEN_BRACKET ? ARRAY : OBJECT;
        } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (depth === slotDepth) return i;
          if (stack[depth] !== (c === CLOSE_BRACKET ? ARRAY : OBJECT)) throw invalid(this.offset, 'mismatched bracket');
          depth -= 1;
        } else if (c === COMMA && depth === slotDepth) {
          return i;
        }
        i += 1;
      }
      return n;
    } finally {
      this.depth = depth;
    }
  }

  /** End of input: the document must be complete. */
  end(): void {
    if (this.phase === Phase.BeforeRoot) throw new AppError('IMPORT_EMPTY_FILE');
    if (this.phase !== Phase.AfterRoot) {
      throw new AppError('IMPORT_TRUNCATED_JSON', { detail: `the document ends at byte ${this.offset} before it is complete` });
    }
  }

  private open(c: number): void {
    if (this.depth >= this.limits.maxDepth) {
      throw new AppError('IMPORT_TOO_DEEP', { detail: `nesting deeper than ${this.limits.maxDepth} at byte ${this.offset}` });
    }
    this.depth += 1;
    this.stack[this.depth] = c === OPEN_BRACKET ? ARRAY : OBJECT;
  }

  private close(c: number): void {
    const expected = c === CLOSE_BRACKET ? ARRAY : OBJECT;
    if (this.depth === 0 || this.stack[this.depth] !== expected) throw invalid(this.offset, 'mismatched bracket');
    this.depth -= 1;
  }

  private enterArraySlot(path: string, inArray: boolean): void {
    this.slotDepth = this.depth;
    this.slotPath = path;
    this.slotIndex = 0;
    this.slotInArray = inArray;
    this.sawComma = false;
    this.phase = Phase.ExpectElement;
  }

  private closeSlotArray(c: number): void {
    this.close(c);
    if (this.depth === 0) {
      this.phase = Phase.AfterRoot;
    } else {
      this.sawComma = false;
      this.phase = Phase.AfterProperty;
    }
  }

  /** Starts capturing at byte i (not consumed: the main loop reads it again in the InRecord phase). */
  private startRecord(c: number, i: number): number {
    this.phase = Phase.InRecord;
    this.pieces = [];
    this.captured = 0;
    this.tooLarge = false;
    this.sawComma = false;
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON) throw invalid(this.offset + i, 'unexpected character');
    return i;
  }

  private keep(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.captured += piece.length;
    if (this.tooLarge) return;
    if (this.captured > this.limits.maxRecordBytes) {
      this.tooLarge = true;
      this.pieces = [];
      return;
    }
    const last = this.pieces[this.pieces.length - 1];
    if (last !== undefined && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset) {
      // The next slice of the same chunk (the importer pushes large chunks in slices): one view, no copy at the end.
      this.pieces[this.pieces.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + piece.length);
      return;
    }
    this.pieces.push(piece);
  }

  private finishRecord(chunk: Uint8Array, start: number, end: number): void {
    if (start >= 0) this.keep(chunk.subarray(start, end));
    let bytes: Uint8Array | null = null;
    if (!this.tooLarge) {
      if (this.pieces.length === 1) {
        bytes = this.pieces[0] as Uint8Array;
      } else {
        bytes = new Uint8Array(this.captured);
        let at = 0;
        for (const piece of this.pieces) {
          bytes.set(piece, at);
          at += piece.length;
        }
      }
    }
    this.pieces = [];
    const size = this.captured;
    this.captured = 0;
    this.phase = this.slotInArray ? Phase.AfterElement : Phase.AfterProperty;
    this.onRecord({ path: this.slotPath, index: this.slotIndex, inArray: this.slotInArray, bytes, size });
  }

  private decodeKey(): string {
    const total = this.keyPieces.reduce((sum, piece) => sum + piece.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const piece of this.keyPieces) {
      bytes.set(piece, at);
      at += piece.length;
    }
    this.keyPieces = [];
    try {
      const key: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      if (typeof key === 'string') return key;
    } catch {
      // fall through: a key that is not a JSON string means the structure is broken
    }
    throw invalid(this.offset, 'unreadable property name');
  }
}

/** Bytes looked at one by one before the native search takes over (most strings, keys above all, are short). */
const INLINE_SCAN = 48;

/** Position of the first unescaped quote at or after `from` (inside a string), or -1. */
function closingQuote(chunk: Uint8Array, from: number): number {
  const n = chunk.length;
  const inline = Math.min(n, from + INLINE_SCAN);
  let i = from;
  while (i < inline) {
    const c = chunk[i] as number;
    if (c === QUOTE) return i;
    if (c === BACKSLASH) {
      i += 2;
      continue;
    }
    i += 1;
  }
  if (i >= n) return -1;
  let at = i;
  for (;;) {
    const quote = chunk.indexOf(QUOTE, at);
    if (quote < 0) return -1;
    if (!backslashRunIsOdd(chunk, at, quote)) return quote;
    at = quote + 1;
  }
}

/** Whether the bytes just before `end` (not before `from`) are an odd run of backslashes. */
function backslashRunIsOdd(chunk: Uint8Array, from: number, end: number): boolean {
  let k = end;
  while (k > from && chunk[k - 1] === BACKSLASH) k -= 1;
  return ((end - k) & 1) === 1;
}

function invalid(at: number, what: string): AppError {
  return new AppError('IMPORT_INVALID_JSON', { detail: `${what} near byte ${at}` });
}
