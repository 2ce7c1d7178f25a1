/**
 * An export file on disk as the importer's source (both command-line tools: `cogzy import` and `npm run import`).
 *
 *   fileSource(path): ImportSource   // IMPORT_READ_FAILED when the file cannot be read
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { AppError } from '../errors';
import type { ImportSource } from '../import';

/**
 * Bytes per read. Each 1 MB chunk outlived young-generation collections (its records are read in 64 KB slices,
 * see shared/import/core/import-export.ts), and its buffer then waited for a full collection: a 1 GB import held
 * 15-20 MB of them. 64 KB reads cost ~0.1 ms of the main thread each (400-600 ms per 200 MB in profiles, and the
 * reader then waited for the disk more often); 256 KB pays neither.
 */
export const READ_BYTES = 256 * 1024;

export function fileSource(path: string): ImportSource {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new AppError('IMPORT_READ_FAILED', { detail: `${path}: ${error instanceof Error ? error.message : String(error)}` });
  }
  return { name: basename(path), size, stream: () => createReadStream(path, { highWaterMark: READ_BYTES }) as AsyncIterable<Uint8Array> };
}
