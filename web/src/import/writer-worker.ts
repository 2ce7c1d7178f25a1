/**
 * The import's batch writer (module worker, started by the import worker: writer-client.ts). It runs each batch's
 * transaction (commitImportBatch) on its own thread while the import worker parses and indexes the next batch, so
 * the two cores of a phone or laptop share an import instead of one doing everything in turn.
 * The work itself is serveBatchWriter (writer-serve.ts), which node tests drive over a MessageChannel.
 */
import { openVaultDatabase } from '../db/database';
import { serveBatchWriter } from './writer-serve';

serveBatchWriter(globalThis, (name) => openVaultDatabase({ name, cache: 'disabled' }));
