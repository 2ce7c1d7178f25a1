import { createSignal, type JSX } from 'solid-js';
import { toAppError, type AppErrorData } from '../../../../shared/errors';
import { deleteConversation } from '../data';
import { navigate } from '../router';
import ErrorNotice from './ErrorNotice';

/** "Delete conversation…" in the reader, with a confirmation; the deletion syncs (a tombstone) and sticks. */
export default function DeleteConversation(props: { id: string; title: string }): JSX.Element {
  let dialog: HTMLDialogElement | undefined;
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<AppErrorData | null>(null);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await deleteConversation(props.id);
      dialog?.close();
      navigate('#/conversations');
    } catch (e) {
      setError(toAppError(e).toData());
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="button danger" onClick={() => dialog?.showModal()}>
        Delete conversation…
      </button>
      <dialog ref={dialog} aria-labelledby="delete-conversation-title">
        <h2 id="delete-conversation-title">Delete “{props.title || 'Untitled conversation'}”?</h2>
        <p>
          It is deleted from this device and, once they sync, from your other devices. Importing the same export again will skip it, so it stays
          deleted.
        </p>
        <div class="actions">
          <button type="button" class="button" onClick={() => dialog?.close()}>
            Keep it
          </button>
          <button type="button" class="button danger" disabled={busy()} onClick={() => void confirm()}>
            {busy() ? 'Deleting…' : 'Delete conversation'}
          </button>
        </div>
        <ErrorNotice error={error()} />
      </dialog>
    </>
  );
}
