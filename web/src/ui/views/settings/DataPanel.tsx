import { Show, createSignal, type JSX } from 'solid-js';
import { deleteVault, exportVault, vaultStats } from '../../data';
import { createLive } from '../../live';
import ErrorNotice from '../../components/ErrorNotice';
import { formatBytes, plural } from '../../format';
import { toAppError, type AppErrorData } from '../../../../../shared/errors';

function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // Give the download a moment to start before the URL is released.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Export the whole vault (JSON for machines, Markdown for people) and delete it: the person owns their data. */
export default function DataPanel(): JSX.Element {
  const stats = createLive(() => null, vaultStats);
  const [busy, setBusy] = createSignal<'json' | 'markdown' | 'delete' | null>(null);
  const [message, setMessage] = createSignal<string | null>(null);
  const [error, setError] = createSignal<AppErrorData | null>(null);
  const [confirmText, setConfirmText] = createSignal('');
  let dialog: HTMLDialogElement | undefined;

  const doExport = async (format: 'json' | 'markdown'): Promise<void> => {
    setBusy(format);
    setError(null);
    setMessage(null);
    try {
      const file = await exportVault(format);
      download(file.blob, file.fileName);
      setMessage(`Exported ${file.fileName} (${formatBytes(file.blob.size)}).`);
    } catch (e) {
      setError(toAppError(e).toData());
    } finally {
      setBusy(null);
    }
  };

  const doDelete = async (): Promise<void> => {
    setBusy('delete');
    setError(null);
    try {
      await deleteVault();
      dialog?.close();
      setMessage('Your vault was deleted from this device.');
    } catch (e) {
      setError(toAppError(e).toData());
    } finally {
      setBusy(null);
      setConfirmText('');
    }
  };

  return (
    <>
      <Show when={stats.value()}>
        {(s) => (
          <p>
            Your vault holds {plural(s().conversations, 'conversation')} and {plural(s().nodes, 'exchange')}.
          </p>
        )}
      </Show>
      <div class="actions">
        <button type="button" class="button" disabled={busy() !== null} onClick={() => void doExport('json')}>
          {busy() === 'json' ? 'Exporting…' : 'Export as JSON'}
        </button>
        <button type="button" class="button" disabled={busy() !== null} onClick={() => void doExport('markdown')}>
          {busy() === 'markdown' ? 'Exporting…' : 'Export as Markdown'}
        </button>
        <button type="button" class="button danger" disabled={busy() !== null} onClick={() => dialog?.showModal()}>
          Delete vault…
        </button>
      </div>
      <Show when={message()}>{(m) => <p role="status" class="notice ok">{m()}</p>}</Show>
      <ErrorNotice error={error()} />
      <dialog ref={dialog} aria-labelledby="delete-title" onClose={() => setConfirmText('')}>
        <h2 id="delete-title" style={{ 'margin-top': 0 }}>
          Delete your vault?
        </h2>
        <p>
          This removes every conversation, exchange, search index and setting from this device. It cannot be undone. Export first if you want a
          copy. Your original export files are not touched.
        </p>
        <label class="field" for="delete-confirm">
          Type DELETE to confirm
          <input id="delete-confirm" type="text" autocomplete="off" value={confirmText()} onInput={(e) => setConfirmText(e.currentTarget.value)} />
        </label>
        <div class="actions">
          <button type="button" class="button" onClick={() => dialog?.close()}>
            Keep my vault
          </button>
          <button type="button" class="button danger" disabled={confirmText().trim() !== 'DELETE' || busy() === 'delete'} onClick={() => void doDelete()}>
            {busy() === 'delete' ? 'Deleting…' : 'Delete everything'}
          </button>
        </div>
      </dialog>
    </>
  );
}
