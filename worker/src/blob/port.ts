/**
 * The blob store port: immutable, content-addressed objects under users/{userId}/blobs/{sha256} (SPEC S3).
 * Adapters translate platform failures into AppError codes; "not there" is a value (null / false), not an error.
 * Conditional writes are not part of the port: B2 ignores them, so compare-and-set lives in D1 (SPEC S5).
 */
import type { PresignedRequest } from '../../../shared/sync/protocol';

export interface BlobHead {
  size: number;
  /** The store's entity tag of this exact object; it changes whenever the object is overwritten (SPEC S17). */
  etag: string | null;
}

export interface BlobObject extends BlobHead {
  body: ReadableStream<Uint8Array>;
}

export interface BlobStore {
  /** Stores bytes whose SHA-256 the caller has already verified; the adapter sends the hash so the store re-checks it. */
  put(key: string, bytes: Uint8Array<ArrayBuffer>, sha256Hex: string): Promise<{ etag: string | null }>;
  head(key: string): Promise<BlobHead | null>;
  get(key: string): Promise<BlobObject | null>;
  /** Deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /** Keys under a prefix, in lexicographic order. */
  list(prefix: string): Promise<string[]>;
  /** Removes every object under a prefix (account deletion); returns how many were removed. */
  deletePrefix(prefix: string): Promise<number>;
  /** A PUT URL valid only for this key, for `expiresInSeconds`. */
  presignPut(key: string, size: number, sha256Hex: string, expiresInSeconds: number): Promise<PresignedRequest>;
  presignGet(key: string, expiresInSeconds: number): Promise<PresignedRequest>;
}
