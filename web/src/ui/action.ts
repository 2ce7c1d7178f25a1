/**
 * One user action at a time (a form's submit, a button): a busy flag to disable it, and its failure as a sentence the
 * view shows (the AppError vocabulary). Used by the account and sync pages.
 *
 *   createAction(): { busy, error, run(work), clear() }
 */
import { createSignal, type Accessor } from 'solid-js';
import { toAppError, type AppErrorData } from '../../../shared/errors';

export interface Action {
  readonly busy: Accessor<boolean>;
  readonly error: Accessor<AppErrorData | null>;
  run(work: () => Promise<void>): Promise<void>;
  clear(): void;
}

export function createAction(): Action {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<AppErrorData | null>(null);
  const run = async (work: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(toAppError(e).toData());
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(null) };
}
