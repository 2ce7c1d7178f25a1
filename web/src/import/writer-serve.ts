/**
 * The writer's end of the import's batch writer (writer-client.ts is the import worker's end): applies each commit
 * message (writer-protocol.ts) in turn, in the order they come, and answers 'done' (or 'failed') once its
 * transaction ended. writer-worker.ts serves it on its worker; node tests serve it on a MessageChannel.
 *
 *   serveBatchWriter(port: WriterPort, open: (name) => Promise<VaultDatabase>)
 */
import { AppError, toAppError } from '../../../shared/errors';
import type { MemoryNode } from '../../../shared/model';
import type { VaultDatabase } from '../db/database';
import { commitImportBatch } from '../db/import-writes';
import { prepareChunks } from '../db/node-store';
import { toNodeRow } from '../db/vault-writes';
import { fromWriterSchema, toWriterSchema, type FromWriter, type ToWriter, type WriterPort } from './writer-protocol';

/** The writer's end: applies each commit message in turn, in the order they come. */
export function serveBatchWriter(port: WriterPort, open: (name: string) => Promise<VaultDatabase>): void {
  const databases = new Map<string, Promise<VaultDatabase>>();
  let queue: Promise<void> = Promise.resolve();
  const post = (message: FromWriter): void => port.postMessage(fromWriterSchema.parse(message));

  const apply = async (message: ToWriter): Promise<void> => {
    // A failed open is not kept: the next batch (or the next import) tries again.
    let opening = databases.get(message.database);
    if (!opening) {
      opening = open(message.database);
      databases.set(message.database, opening);
      opening.catch(() => databases.delete(message.database));
    }
    const db = await opening;
    const nodes = new Map<string, MemoryNode>();
    for (const item of message.batch.items) for (const node of item.nodes) nodes.set(node.id, node);
    const { rowIds, segment, next } = message.prepared;
    const rows = rowIds.map((id, i) => {
      const node = nodes.get(id);
      if (!node) throw new AppError('BAD_REQUEST', { detail: `prepared node ${id} is not in its batch` });
      return toNodeRow(node, segment.at.nextDocId + i);
    });
    const known = new Set(message.known);
    const knownBefore = known.size;
    const counts = await commitImportBatch(
      db,
      message.importId,
      message.batch,
      message.timing,
      known,
      { nodes: { rows, chunks: prepareChunks(rows), segment }, ids: new Set(rowIds), next },
    );
    // commitImportBatch adds what it stored to `known` once the transaction committed; a Set keeps insertion order.
    post({ type: 'done', id: message.id, counts, added: [...known].slice(knownBefore) });
  };

  port.addEventListener('message', (event: MessageEvent<unknown>) => {
    const parsed = toWriterSchema.safeParse(event.data);
    if (!parsed.success) {
      const data = event.data;
      const id = typeof data === 'object' && data !== null && 'id' in data && typeof data.id === 'number' && Number.isInteger(data.id) && data.id >= 0 ? data.id : 0;
      post({ type: 'failed', id, error: new AppError('BAD_REQUEST', { detail: parsed.error.message }).toData() });
      return;
    }
    const message = parsed.data;
    queue = queue.then(() => apply(message).catch((error: unknown) => post({ type: 'failed', id: message.id, error: toAppError(error).toData() })));
  });
}
