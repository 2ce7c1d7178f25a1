import { For, Show, createMemo, createSignal, type JSX } from 'solid-js';
import type { ViewProps } from '../views';
import { createLive } from '../live';
import { cancelImport, importHistory, startImport, vaultStats } from '../data';
import DropZone, { ACCEPTED_EXTENSIONS } from '../components/DropZone';
import ImportProgress from '../components/ImportProgress';
import ImportHistory from '../components/ImportHistory';
import ErrorNotice from '../components/ErrorNotice';
import { toAppError, type AppErrorData } from '../../../../shared/errors';

const ACTIVE = new Set(['pending', 'processing']);

export default function ImportView(_props: ViewProps): JSX.Element {
  const history = createLive(() => null, importHistory);
  const stats = createLive(() => null, vaultStats);
  const [error, setError] = createSignal<AppErrorData | null>(null);
  const [rejected, setRejected] = createSignal<string[]>([]);
  const [cancelling, setCancelling] = createSignal<ReadonlySet<number>>(new Set());

  const active = createMemo(() => history.value()?.filter((r) => ACTIVE.has(r.status)) ?? []);
  const finished = createMemo(() => history.value()?.filter((r) => !ACTIVE.has(r.status)) ?? []);
  const empty = (): boolean => stats.value()?.conversations === 0;

  const onFiles = (files: File[]): void => {
    setError(null);
    const ok = files.filter((f) => ACCEPTED_EXTENSIONS.some((ext) => f.name.toLowerCase().endsWith(ext)));
    setRejected(files.filter((f) => !ok.includes(f)).map((f) => f.name));
    if (ok.length === 0) return;
    startImport(ok).catch((e: unknown) => setError(toAppError(e).toData()));
  };

  const onCancel = (id: number): void => {
    setCancelling((s) => new Set([...s, id]));
    cancelImport(id).catch((e: unknown) => setError(toAppError(e).toData()));
  };

  return (
    <section class="page">
      <h1>{empty() ? 'Welcome to Cogzy Vault' : 'Import'}</h1>
      <Show when={empty()}>
        <p>
          Bring your AI chat history together in one private, searchable vault that lives on this device and works offline. Request an export
          from your provider (ChatGPT: Settings › Data controls › Export; Claude: Settings › Privacy › Export; Gemini: Google Takeout › My
          Activity; Grok: Settings › Data › Export), then add the file here.
        </p>
      </Show>
      <DropZone
        onFiles={onFiles}
        headline={empty() ? 'Drop your ChatGPT, Claude, Gemini or Grok export here' : 'Drop another export here'}
      />
      <Show when={rejected().length > 0}>
        <p class="notice warn" role="alert">
          {rejected().join(', ')} {rejected().length === 1 ? 'is' : 'are'} not an export file we can read. Pick the .zip or .json file your
          provider sent you.
        </p>
      </Show>
      <ErrorNotice error={error()} />
      <ErrorNotice error={history.error()} />
      <For each={active()}>
        {(row) => <ImportProgress row={row} cancelling={cancelling().has(row.id)} onCancel={() => onCancel(row.id)} />}
      </For>
      <Show when={finished().length > 0}>
        <h2>Import history</h2>
        <ImportHistory rows={finished()} />
      </Show>
    </section>
  );
}
