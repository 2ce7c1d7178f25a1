/**
 * Solid side of the vault's live-query adapter (vault/live.ts): the accessor updates when the tables the query read
 * change (in this tab, another tab, or the import worker). `source` is tracked: when its value changes (filters, an
 * id) the query is re-subscribed with the new value. `value` is undefined until the first result arrives.
 */
import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js';
import type { AppError } from '../../../shared/errors';
import { subscribeLive } from '../vault/live';
import type { VaultDatabase } from '../db/database';
import { vault } from './data';
import { toAppError } from '../../../shared/errors';

export interface Live<T> {
  readonly value: Accessor<T | undefined>;
  readonly error: Accessor<AppError | undefined>;
}

export function createLive<S, T>(source: Accessor<S>, query: (db: VaultDatabase, input: S) => Promise<T>): Live<T> {
  const [value, setValue] = createSignal<T | undefined>(undefined);
  const [error, setError] = createSignal<AppError | undefined>(undefined);
  const [db, setDb] = createSignal<VaultDatabase | undefined>(undefined);
  // The database is opened before subscribing: a live query must only await Dexie operations, or Dexie loses
  // track of which tables it read and never updates.
  vault().then(
    (v) => setDb(v.db),
    (e: unknown) => setError(toAppError(e, 'STORAGE_FAILED')),
  );
  createEffect(() => {
    const input = source();
    const database = db();
    if (!database) return;
    const unsubscribe = subscribeLive(
      () => query(database, input),
      (v) => {
        setError(undefined);
        setValue(() => v);
      },
      setError,
    );
    onCleanup(unsubscribe);
  });
  return { value, error };
}
