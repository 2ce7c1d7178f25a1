/**
 * Segment format v1 (C1): an immutable batch of records and tombstones, compressed, padded, encrypted, and named
 * by the SHA-256 of its bytes (S1, S4).
 *
 *   header (28 bytes): "CGZS" | format version (1) | kind (1) | 0 0 | key id (8) | AES-GCM nonce (12)
 *   body:              AES-256-GCM( u32 length | zlib(JSON payload) | zero padding to the Padmé size )
 *   associated data:   "cogzy segment" | vault id | header
 *
 * The associated data binds vault id, kind and format version, so the server cannot replay a segment into another
 * vault or have it read as another kind. Padding (Padmé) hides exact sizes. Decoding tells apart an unknown version,
 * another vault key and damage; none of them yields records.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { z } from 'zod';
import { AppError } from '../errors';
import { concatBytes, equalBytes, fromBase64, utf8 } from './bytes';
import { sha256Hex } from './hash';
import type { SyncKeys } from './keys';
import type { Cipher, Random } from './ports';
import { syncRecordSchema } from './records';

export const SEGMENT_FORMAT_VERSION = 1;
export const SEGMENT_KINDS = ['delta', 'snapshot', 'vectors'] as const;
export type SegmentKind = (typeof SEGMENT_KINDS)[number];

const MAGIC = utf8('CGZS');
const HEADER_BYTES = 28;
const TAG_BYTES = 16;
const MIN_PADDED = 256;

export const segmentPayloadSchema = z.object({
  records: z.array(syncRecordSchema),
  /** Plain ids deleted (inside the encryption; the commit carries only their keyed hashes). */
  tombstones: z.array(z.string().min(1).max(512)),
});
export type SegmentPayload = z.infer<typeof segmentPayloadSchema>;

export interface EncodedSegment {
  sha256: string;
  bytes: Uint8Array<ArrayBuffer>;
  kind: SegmentKind;
}

/** Padmé (Nikitin et al. 2019): rounds up so that at most O(log log n) bits of the length remain visible. */
export function padmeLength(length: number): number {
  if (length <= MIN_PADDED) return MIN_PADDED;
  const e = Math.floor(Math.log2(length));
  const s = Math.floor(Math.log2(e)) + 1;
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}

/**
 * zlib (RFC 1950) both ways: the platform's native CompressionStream('deflate') where there is one (browsers, node,
 * workerd: several times faster than JS on megabyte payloads), else fflate. Both read what either wrote.
 */
async function zlib(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof CompressionStream === 'undefined') return zlibSync(bytes, { level: 6 });
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer());
}

async function unzlib(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  if (typeof DecompressionStream === 'undefined') return unzlibSync(bytes);
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'))).arrayBuffer());
}

function associatedData(keys: SyncKeys, header: Uint8Array): Uint8Array<ArrayBuffer> {
  return concatBytes(utf8('cogzy segment'), fromBase64(keys.vaultId), header);
}

export async function encodeSegment(
  cipher: Cipher,
  random: Random,
  keys: SyncKeys,
  kind: SegmentKind,
  payload: SegmentPayload,
  /** `JSON.stringify(payload)` as UTF-8, when the caller has it already. */
  json: Uint8Array<ArrayBuffer> = utf8(JSON.stringify(payload)),
): Promise<EncodedSegment> {
  const compressed = await zlib(json);
  const plain = new Uint8Array(padmeLength(4 + compressed.length));
  new DataView(plain.buffer).setUint32(0, compressed.length);
  plain.set(compressed, 4);
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  header[4] = SEGMENT_FORMAT_VERSION;
  header[5] = SEGMENT_KINDS.indexOf(kind);
  header.set(keys.keyId, 8);
  const nonce = random.bytes(12);
  header.set(nonce, 16);
  const body = new Uint8Array(await cipher.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: associatedData(keys, header) }, keys.segmentKey, plain));
  const bytes = concatBytes(header, body);
  return { sha256: await sha256Hex(bytes), bytes, kind };
}

function tampered(detail: string): AppError {
  return new AppError('SYNC_SEGMENT_TAMPERED', { detail });
}

/** Reads a segment whose hash the caller has already checked (S4). Throws; never returns partial records. */
export async function decodeSegment(cipher: Cipher, keys: SyncKeys, bytes: Uint8Array<ArrayBuffer>): Promise<{ kind: SegmentKind; payload: SegmentPayload }> {
  if (bytes.length < HEADER_BYTES + TAG_BYTES || !equalBytes(bytes.subarray(0, 4), MAGIC)) throw tampered('truncated or not a segment');
  const header = bytes.slice(0, HEADER_BYTES);
  if (header[4] !== SEGMENT_FORMAT_VERSION) throw new AppError('SYNC_SEGMENT_UNSUPPORTED', { detail: `segment format ${header[4]}` });
  const kind = SEGMENT_KINDS[header[5]!];
  if (kind === undefined) throw new AppError('SYNC_SEGMENT_UNSUPPORTED', { detail: `segment kind ${header[5]}` });
  if (!equalBytes(header.subarray(8, 16), keys.keyId)) throw new AppError('SYNC_WRONG_VAULT_KEY');
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(
      await cipher.decrypt({ name: 'AES-GCM', iv: header.slice(16, 28), additionalData: associatedData(keys, header) }, keys.segmentKey, bytes.slice(HEADER_BYTES)),
    );
  } catch {
    throw tampered('authentication failed');
  }
  const length = new DataView(plain.buffer, plain.byteOffset).getUint32(0);
  if (length > plain.length - 4) throw tampered('length field');
  try {
    const json: unknown = JSON.parse(new TextDecoder().decode(await unzlib(plain.slice(4, 4 + length))));
    return { kind, payload: segmentPayloadSchema.parse(json) };
  } catch (error) {
    throw tampered(error instanceof Error ? error.message.slice(0, 200) : 'payload');
  }
}
