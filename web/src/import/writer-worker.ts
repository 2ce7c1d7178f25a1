/**
 * The import's batch writer (module worker, started by the import worker: writer-client.ts). It runs each batch's
 * transaction (commitImportBatch) on its own thread while the import worker parses and indexes the next batch, so
 * the two cores of a phone or laptop share an import instead of one doing everything in turn.
 * One batch at a time, in the order they come; the import worker never sends the next before this one is done.
 */
import { AppError, toAppError } from '../../../shared/errors';
import { openVaultDatabase, type VaultDatabase } from '../db/database';
import { commitImportBatch } from '../db/import-writes';
import { toNodeRow } from '../db/vault-writes';
import type { MemoryNode } from '../../../shared/model';
import { fromWriterSchema, toWriterSchema, type FromWriter, type ToWriter } from './writer-protocol';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
const databases = new Map<string, Promise<VaultDatabase>>();
let queue: Promise<void> = Promise.resolve();

function post(message: FromWriter): void {
  scope.postMessage(fromWriterSchema.parse(message));
}

async function commit(message: ToWriter): Promise<void> {
  // A failed open is not kept: the next batch (or the next import) tries again.
  let opening = databases.get(message.database);
  if (!opening) {
    opening = openVaultDatabase({ name: message.database, cache: 'disabled' });
    databases.set(message.database, opening);
    opening.catch(() => databases.delete(message.database));
  }
  const db = await opening;
  const known = new Set(message.known);
  const nodes = new Map<string, MemoryNode>();
  for (const item of message.batch.items) for (const node of item.nodes) nodes.set(node.id, node);
  const { rowIds, segment, next } = message.prepared;
  const rows = rowIds.map((id, i) => {
    const node = nodes.get(id);
    if (!node) throw new AppError('BAD_REQUEST', { detail: `prepared node ${id} is not in its batch` });
    return toNodeRow(node, segment.at.nextDocId + i);
  });
  const counts = await commitImportBatch(
    db,
    message.importId,
    message.batch,
    { ...message.timing, writesIssued: () => post({ type: 'issued', id: message.id }) },
    known,
    { nodes: { rows, segment }, ids: new Set(rowIds), next },
  );
  // commitImportBatch adds what it stored to `known` once the transaction committed.
  const before = new Set(message.known);
  post({ type: 'done', id: message.id, counts, added: [...known].filter((id) => !before.has(id)) });
}

scope.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = toWriterSchema.safeParse(event.data);
  if (!parsed.success) {
    const id = typeof event.data === 'object' && event.data !== null && 'id' in event.data && typeof event.data.id === 'number' ? event.data.id : 0;
    post({ type: 'failed', id, error: new AppError('BAD_REQUEST', { detail: parsed.error.message }).toData() });
    return;
  }
  const message = parsed.data;
  queue = queue.then(() => commit(message).catch((error: unknown) => post({ type: 'failed', id: message.id, error: toAppError(error).toData() })));
});
