/** Helpers for importer tests and tools: sources from bytes or files, a node SHA-256, and a store that remembers ids. */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Conversation, MemoryNode } from '../../shared/model';
import { importExport, type ImportOptions, type ImportReport, type ImportSource } from '../../shared/import';

export const nodeDigest = (bytes: Uint8Array): Promise<Uint8Array> => Promise.resolve(new Uint8Array(createHash('sha256').update(bytes).digest()));

/** A source that hands out `bytes` in chunks of the given sizes (cycled), e.g. [1] for byte-by-byte. */
export function bytesSource(bytes: Uint8Array, chunkSizes: readonly number[] = [64 * 1024], name = 'export'): ImportSource {
  return {
    name,
    size: bytes.length,
    stream: () => {
      let at = 0;
      let turn = 0;
      // One chunk per pull: a pre-filled queue of many tiny chunks makes node's stream queue quadratic.
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= bytes.length) {
            controller.close();
            return;
          }
          const size = Math.max(1, chunkSizes[turn % chunkSizes.length] ?? 1);
          turn += 1;
          controller.enqueue(bytes.slice(at, at + size));
          at += size;
        },
      });
    },
  };
}

export function fileSource(path: string): ImportSource {
  return {
    name: basename(path),
    size: statSync(path).size,
    stream: () => createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>,
  };
}

/** What a vault would hold: conversations and nodes by id, as the web's Dexie layer stores them. */
export class MemoryStore {
  readonly conversations = new Map<string, Conversation>();
  readonly nodes = new Map<string, MemoryNode>();

  isKnown = (ids: readonly string[]): Promise<readonly boolean[]> => Promise.resolve(ids.map((id) => this.nodes.has(id)));
}

export interface ImportRun {
  readonly report: ImportReport;
  readonly conversations: Conversation[];
  readonly nodes: MemoryNode[];
  readonly checkpoints: number[];
}

/** Runs the importer to the end, committing each batch into `store` (when given) before asking for the next. */
export async function runImport(source: ImportSource, store: MemoryStore | null = new MemoryStore(), options: Partial<ImportOptions> = {}): Promise<ImportRun> {
  const importer = importExport(source, {
    digest: nodeDigest,
    now: () => performance.now(),
    ...(store ? { isKnown: store.isKnown } : {}),
    ...options,
  });
  const conversations: Conversation[] = [];
  const nodes: MemoryNode[] = [];
  const checkpoints: number[] = [];
  for (;;) {
    const step = await importer.next();
    if (step.done === true) return { report: step.value, conversations, nodes, checkpoints };
    checkpoints.push(step.value.checkpoint.records);
    for (const item of step.value.items) {
      conversations.push(item.conversation);
      nodes.push(...item.nodes);
      store?.conversations.set(item.conversation.id, item.conversation);
      for (const node of item.nodes) store?.nodes.set(node.id, node);
    }
  }
}
