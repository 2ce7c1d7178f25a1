/**
 * What the sync dashboard shows about past syncs (C25), persisted as one `syncState` row so it survives a closed tab
 * and every tab reads the same figures. Pure: `recordSync(stats, report)` folds one engine report in.
 *
 *   syncStatsSchema, type SyncStats, EMPTY_SYNC_STATS, HISTORY_LENGTH = 50
 *   recordSync(stats, report: SyncReport): SyncStats
 */
import { z } from 'zod';
import { appErrorDataSchema } from '../../../shared/errors';
import type { SyncReport } from '../../../shared/sync/engine';
import { SYNC_STATES } from '../../../shared/sync/engine';

export const HISTORY_LENGTH = 50;

const entrySchema = z.object({
  startedAt: z.number(),
  finishedAt: z.number(),
  state: z.enum(SYNC_STATES),
  errorCode: appErrorDataSchema.shape.code.nullable(),
  pulledSegments: z.number().int().nonnegative(),
  pushedSegments: z.number().int().nonnegative(),
  bytesUp: z.number().nonnegative(),
  bytesDown: z.number().nonnegative(),
  conflicts: z.number().int().nonnegative(),
  retries: z.number().int().nonnegative(),
});
export type SyncHistoryEntry = z.infer<typeof entrySchema>;

export const syncStatsSchema = z.object({
  version: z.literal(1),
  lastPushAt: z.number().nullable(),
  lastPullAt: z.number().nullable(),
  lastSuccessAt: z.number().nullable(),
  bytesUp: z.number().nonnegative(),
  bytesDown: z.number().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Sum of the successful syncs' durations: the average is this over `succeeded`. */
  totalMs: z.number().nonnegative(),
  conflictsResolved: z.number().int().nonnegative(),
  consecutiveFailures: z.number().int().nonnegative(),
  lastError: appErrorDataSchema.nullable(),
  /** Newest first, at most HISTORY_LENGTH. */
  history: z.array(entrySchema).max(HISTORY_LENGTH),
});
export type SyncStats = z.infer<typeof syncStatsSchema>;

export const EMPTY_SYNC_STATS: SyncStats = {
  version: 1,
  lastPushAt: null,
  lastPullAt: null,
  lastSuccessAt: null,
  bytesUp: 0,
  bytesDown: 0,
  succeeded: 0,
  failed: 0,
  totalMs: 0,
  conflictsResolved: 0,
  consecutiveFailures: 0,
  lastError: null,
  history: [],
};

export function recordSync(stats: SyncStats, report: SyncReport): SyncStats {
  const ok = report.state === 'in-sync';
  const entry: SyncHistoryEntry = {
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    state: report.state,
    errorCode: report.error?.code ?? null,
    pulledSegments: report.pulledSegments,
    pushedSegments: report.pushedSegments,
    bytesUp: report.bytesUp,
    bytesDown: report.bytesDown,
    conflicts: report.conflicts,
    retries: report.retries,
  };
  return {
    ...stats,
    // A pull happened when the manifest was read to the end (every successful sync), a push when segments went up.
    lastPullAt: ok ? report.finishedAt : stats.lastPullAt,
    lastPushAt: report.pushedSegments > 0 ? report.finishedAt : stats.lastPushAt,
    lastSuccessAt: ok ? report.finishedAt : stats.lastSuccessAt,
    bytesUp: stats.bytesUp + report.bytesUp,
    bytesDown: stats.bytesDown + report.bytesDown,
    succeeded: stats.succeeded + (ok ? 1 : 0),
    failed: stats.failed + (ok ? 0 : 1),
    totalMs: stats.totalMs + (ok ? Math.max(0, report.finishedAt - report.startedAt) : 0),
    conflictsResolved: stats.conflictsResolved + (ok ? report.conflicts : 0),
    consecutiveFailures: ok ? 0 : stats.consecutiveFailures + 1,
    lastError: ok ? stats.lastError : report.error,
    history: [entry, ...stats.history].slice(0, HISTORY_LENGTH),
  };
}
