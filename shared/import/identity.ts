/**
 * Content-hash identity of memory nodes. A node's id is the hex SHA-256 of a canonical (length-prefixed) encoding of
 * (provider, conversation id, kind, normalised human text, normalised assistant text, k), where k counts earlier
 * nodes of the same conversation with the same (kind, human, assistant) texts. So a "continue"/"continue" pair does
 * not collide, re-importing the same file gives the same ids, and a later cumulative export (same turns plus new
 * ones appended) gives the old ids for the old turns and new ids only for the new turns.
 *
 * SHA-256 is injected (`digest`), so shared/ touches no platform global; the web passes a crypto.subtle-based one.
 */
import { AppError } from '../errors';
import type { MemoryNode, Provider } from '../model';
import type { NodeDraft } from './provider';

export type Digest = (bytes: Uint8Array) => Promise<Uint8Array>;

/** Identity version: part of the encoding so a future change of the rules can never collide with today's ids. */
const IDENTITY_VERSION = 'cogzy-node/1';

const BEYOND_LATIN = /[\u0300-\uffff]/;

/** NFC, line endings to LF, trailing spaces and tabs removed from each line, outer whitespace trimmed. */
export function normaliseText(text: string): string {
  // Text below U+0300 (ASCII, Latin-1, Latin Extended, IPA) is always NFC: no combining mark can change it. A native
  // regular expression scan is far cheaper than normalize(), which copies the string.
  let out = BEYOND_LATIN.test(text) ? text.normalize('NFC') : text;
  // The regular expressions are costly on long texts: run them only when there is something to change.
  if (out.includes('\r')) out = out.replace(/\r\n?/g, '\n');
  if (spaceBeforeLineFeed(out)) out = trimLineEnds(out);
  return out.trim();
}

/**
 * Whether `text` holds ' \n' or '\t\n', from line feed to line feed: two `includes` of a two-character needle cost
 * ~4x more on UTF-16 text (half of normaliseText's time on an export with non-Latin text).
 */
function spaceBeforeLineFeed(text: string): boolean {
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    const c = text.charCodeAt(at - 1);
    if (c === 0x20 || c === 0x09) return true;
  }
  return false;
}

/**
 * Drops the spaces and tabs before every line end and at the very end, exactly as `/[ \t]+$/gm` does, in one
 * pass: that expression rescans a long run of spaces from each of its positions when text follows (quadratic).
 */
function trimLineEnds(text: string): string {
  const parts: string[] = [];
  let from = 0;
  let run = -1;
  for (let at = 0; at < text.length; at += 1) {
    const c = text.charCodeAt(at);
    if (c === 0x20 || c === 0x09) {
      if (run === -1) run = at;
      continue;
    }
    if (run !== -1 && (c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029)) {
      parts.push(text.slice(from, run));
      from = at;
    }
    run = -1;
  }
  if (run !== -1) {
    parts.push(text.slice(from, run));
    from = text.length;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** The exact bytes that are hashed for one node (assignNodeIds writes the same bytes for a whole conversation). */
export function identityBytes(
  provider: Provider,
  conversationId: string,
  kind: MemoryNode['kind'],
  humanText: string,
  assistantText: string | null,
  occurrence: number,
): Uint8Array {
  const human = normaliseText(humanText);
  const assistant = assistantText === null ? null : normaliseText(assistantText);
  const writer = new CanonicalWriter();
  writer.node(provider, conversationId, kind, human, assistant, occurrence);
  return writer.finish()[0] as Uint8Array;
}

/** Scratch space the encodings are written into, shared by all writers (each copies its bytes out before returning). */
let scratch = new Uint8Array(256 * 1024);
let scratchView = new DataView(scratch.buffer);
/** A scratch grown past this for one huge conversation is let go afterwards. */
const SCRATCH_KEEP_BYTES = 4 * 1024 * 1024;

/**
 * Canonical encoding: each field as a 4-byte big-endian length and its UTF-8 bytes (null: length 0xFFFFFFFF), the
 * occurrence as 4 bytes. Unambiguous without escaping. A conversation's nodes are written into the shared scratch
 * (room for the worst case, 3 bytes a UTF-16 unit, so every text is encoded once) and copied out once, exactly
 * sized: a buffer of its own per conversation, reserved for the worst case or grown by doubling, zeroed two to
 * seven times the bytes hashed (importing a 1 GB export hashes about as many bytes). Synchronous from the first
 * node to `finish`, so writers never share the scratch.
 */
class CanonicalWriter {
  private at = 0;
  private readonly ends: number[] = [];
  /** The first four fields' bytes, the same for every node of a conversation (and kind): encoded once, then copied. */
  private head: Uint8Array | null = null;
  private headProvider = '';
  private headConversation = '';
  private headKind = '';

  node(provider: Provider, conversationId: string, kind: string, human: string, assistant: string | null, occurrence: number): void {
    const head = this.head;
    if (head !== null && provider === this.headProvider && conversationId === this.headConversation && kind === this.headKind) {
      this.ensure(head.length);
      scratch.set(head, this.at);
      this.at += head.length;
    } else {
      const start = this.at;
      this.field(IDENTITY_VERSION);
      this.field(provider);
      this.field(conversationId);
      this.field(kind);
      this.head = scratch.slice(start, this.at);
      this.headProvider = provider;
      this.headConversation = conversationId;
      this.headKind = kind;
    }
    this.field(human);
    this.field(assistant);
    this.ensure(4);
    scratchView.setUint32(this.at, occurrence);
    this.at += 4;
    this.ends.push(this.at);
  }

  /** Each node's bytes, in the order written (views of one copy). */
  finish(): Uint8Array[] {
    const bytes = scratch.slice(0, this.at);
    if (scratch.length > SCRATCH_KEEP_BYTES) setScratch(new Uint8Array(256 * 1024));
    const out: Uint8Array[] = [];
    let start = 0;
    for (const end of this.ends) {
      out.push(bytes.subarray(start, end));
      start = end;
    }
    return out;
  }

  private field(text: string | null): void {
    if (text === null) {
      this.ensure(4);
      scratchView.setUint32(this.at, 0xffffffff);
      this.at += 4;
      return;
    }
    this.ensure(4 + 3 * text.length);
    const { written } = encoder.encodeInto(text, scratch.subarray(this.at + 4));
    scratchView.setUint32(this.at, written);
    this.at += 4 + written;
  }

  private ensure(bytes: number): void {
    if (this.at + bytes <= scratch.length) return;
    const next = new Uint8Array(Math.max(scratch.length * 2, this.at + bytes));
    next.set(scratch.subarray(0, this.at));
    setScratch(next);
  }
}

function setScratch(next: Uint8Array<ArrayBuffer>): void {
  scratch = next;
  scratchView = new DataView(next.buffer);
}

const encoder = new TextEncoder();
/** The two ASCII digits of each byte, as character codes. */
const HEX_CODES = new Uint8Array(512);
for (let byte = 0; byte < 256; byte += 1) {
  const hex = byte.toString(16).padStart(2, '0');
  HEX_CODES[2 * byte] = hex.charCodeAt(0);
  HEX_CODES[2 * byte + 1] = hex.charCodeAt(1);
}
const hexDigits = new Uint8Array(64);
const asciiDecoder = new TextDecoder('latin1');

/**
 * Decoded from ASCII digits in one native call, so the id is one flat string (a concatenated id would stay a rope of
 * 32 pieces, kilobytes per id in a big Set); three times cheaper than joining an array of 32 pairs.
 */
function toHex(bytes: Uint8Array): string {
  const digits = 2 * bytes.length === hexDigits.length ? hexDigits : new Uint8Array(2 * bytes.length);
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    digits[2 * i] = HEX_CODES[2 * byte] as number;
    digits[2 * i + 1] = HEX_CODES[2 * byte + 1] as number;
  }
  return asciiDecoder.decode(digits);
}

/** The texts one node's id depends on (before normalisation), in the conversation's node order. */
export interface IdentityText {
  readonly kind: MemoryNode['kind'];
  readonly human: string;
  readonly assistant: string | null;
}

/**
 * The ids of one conversation's nodes, in the order given (active thread first, so appending turns never shifts an
 * earlier node's occurrence counter). The digests of a conversation run as one batch.
 */
export async function nodeIds(provider: Provider, conversationId: string, inputs: readonly IdentityText[], digest: Digest): Promise<string[]> {
  const texts = inputs.map((input) => ({
    kind: input.kind,
    human: normaliseText(input.human),
    assistant: input.assistant === null ? null : normaliseText(input.assistant),
  }));
  const writer = new CanonicalWriter();
  for (const t of texts) writer.node(provider, conversationId, t.kind, t.human, t.assistant, 0);
  const hexOf = (hash: Uint8Array): string => {
    if (hash.length !== 32) throw new AppError('INTERNAL', { detail: 'digest must return 32 bytes (SHA-256)' });
    return toHex(hash);
  };
  const hashOf = async (bytes: Uint8Array): Promise<string> => hexOf(await digest(bytes));
  // Hash every node as the first of its kind; the hash then tells identical exchanges apart cheaply (no big text
  // keys), and only the repeats (k > 0) are hashed again with their occurrence counter. The digests are awaited
  // together, with no async function per node.
  const hashes = await Promise.all(writer.finish().map((bytes) => digest(bytes)));
  const ids = hashes.map(hexOf);
  const seen = new Map<string, number>();
  for (let index = 0; index < ids.length; index += 1) {
    const first = ids[index] as string;
    const occurrence = seen.get(first) ?? 0;
    seen.set(first, occurrence + 1);
    if (occurrence === 0) continue;
    const t = texts[index] as (typeof texts)[number];
    const again = new CanonicalWriter();
    again.node(provider, conversationId, t.kind, t.human, t.assistant, occurrence);
    ids[index] = await hashOf(again.finish()[0] as Uint8Array);
  }
  return ids;
}

/** The texts of a conversation's drafts, as `nodeIds` takes them. */
export const identityTexts = (drafts: readonly NodeDraft[]): IdentityText[] =>
  drafts.map((draft) => ({ kind: draft.kind, human: draft.human.text, assistant: draft.assistant === null ? null : draft.assistant.text }));

/** Gives every draft of one conversation its id (see `nodeIds`). */
export async function assignNodeIds(
  provider: Provider,
  conversationId: string,
  drafts: readonly NodeDraft[],
  digest: Digest,
): Promise<MemoryNode[]> {
  const ids = await nodeIds(provider, conversationId, identityTexts(drafts), digest);
  return drafts.map((draft, index) => ({ schemaVersion: 1, id: ids[index] as string, ...draft }));
}
