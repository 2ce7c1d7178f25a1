/**
 * The keyword index's compaction in a module worker (index-compaction.ts starts it): opens the vault, merges the
 * parts that have piled up COMPACT_AFTER_SEGMENTS segments, answers once and is terminated.
 */
import { toAppError } from '../../../shared/errors';
import { openVaultDatabase } from '../db/database';
import { COMPACT_AFTER_SEGMENTS, compactionReplySchema, type CompactionReply } from './index-compaction';
import { compactSearchIndex } from './keyword-index';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;

async function compact(): Promise<CompactionReply> {
  const db = await openVaultDatabase({ cache: 'disabled' });
  try {
    const { partsMerged } = await compactSearchIndex(db, { minSegments: COMPACT_AFTER_SEGMENTS });
    return { ok: true, partsMerged };
  } finally {
    db.close();
  }
}

void compact()
  .catch((error: unknown): CompactionReply => ({ ok: false, error: toAppError(error).toData() }))
  .then((reply) => scope.postMessage(compactionReplySchema.parse(reply)));
