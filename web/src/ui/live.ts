/**
 * The one adapter from Dexie live queries to Solid: the accessor updates when the tables the query read change
 * (in this tab, another tab, or the import worker). `source` is tracked: when its value changes (filters, an id)
 * the query is re-subscribed with the new value. `value` is undefined until the first result arrives.
 */
import { liveQuery } from 'dexie';
import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js';
import { toAppError, type AppError } from '../../../shared/errors';

export interface Live<T> {
  readonly value: Accessor<T | undefined>;
  readonly error: Accessor<AppError | undefined>;
}

export function createLive<S, T>(source: Accessor<S>, query: (input: S) => Promise<T>): Live<T> {
  const [value, setValue] = createSignal<T | undefined>(undefined);
  const [error, setError] = createSignal<AppError | undefined>(undefined);
  createEffect(() => {
    const input = source();
    const subscription = liveQuery(() => query(input)).subscribe({
      next: (v) => {
        setError(undefined);
        setValue(() => v);
      },
      error: (e: unknown) => setError(toAppError(e, 'STORAGE_FAILED')),
    });
    onCleanup(() => subscription.unsubscribe());
  });
  return { value, error };
}
