/**
 * The one live-query adapter: the UI subscribes to a Dexie query and gets the new value whenever the tables it
 * read change (also when the import worker writes them: Dexie broadcasts across workers and tabs). Solid wraps
 * it with `from()` or a signal; nothing else in the UI touches `liveQuery`.
 *
 *   subscribeLive<T>(query: () => Promise<T>, onValue: (value: T) => void, onError?: (error: AppError) => void): () => void
 */
import { liveQuery } from 'dexie';
import type { AppError } from '../../../shared/errors';
import { translateStorageError } from '../db/database';

export function subscribeLive<T>(query: () => Promise<T>, onValue: (value: T) => void, onError?: (error: AppError) => void): () => void {
  const subscription = liveQuery(query).subscribe({
    next: onValue,
    error: (error: unknown) => onError?.(translateStorageError(error)),
  });
  return () => subscription.unsubscribe();
}
