import { For, Show, createMemo, createSignal, type JSX } from 'solid-js';
import type { ViewProps } from '../views';
import { createLive } from '../live';
import { importHistory, vaultStats } from '../data';
import { activeRuns, importFiles, lastFinished } from '../import-runs';
import { describeImport } from '../../vault/imports';
import DropZone, { ACCEPTED_EXTENSIONS } from '../components/DropZone';
import ImportProgress from '../components/ImportProgress';
import ImportHistory from '../components/ImportHistory';
import ErrorNotice from '../components/ErrorNotice';

export default function ImportView(_props: ViewProps): JSX.Element {
  const history = createLive(() => null, importHistory);
  const stats = createLive(() => null, vaultStats);
  const [rejected, setRejected] = createSignal<string[]>([]);

  const finished = createMemo(() => history.value()?.filter((r) => r.status !== 'pending' && r.status !== 'processing') ?? []);
  // An import running in another tab shows in the history as processing; say so rather than showing nothing.
  const elsewhere = createMemo(() => (activeRuns().length === 0 ? (history.value()?.filter((r) => r.status === 'processing') ?? []) : []));
  const empty = (): boolean => stats.value()?.conversations === 0 && activeRuns().length === 0;

  const onFiles = (files: File[]): void => {
    const ok = files.filter((f) => ACCEPTED_EXTENSIONS.some((ext) => f.name.toLowerCase().endsWith(ext)));
    setRejected(files.filter((f) => !ok.includes(f)).map((f) => f.name));
    if (ok.length > 0) importFiles(ok);
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
      <DropZone onFiles={onFiles} headline={empty() ? 'Drop your ChatGPT, Claude, Gemini or Grok export here' : 'Drop another export here'} />
      <Show when={rejected().length > 0}>
        <p class="notice warn" role="alert">
          {rejected().join(', ')} {rejected().length === 1 ? 'is' : 'are'} not an export file we can read. Pick the .zip or .json file your
          provider sent you.
        </p>
      </Show>
      <For each={activeRuns()}>{(run) => <ImportProgress run={run} />}</For>
      <For each={elsewhere()}>
        {(row) => (
          <p class="notice" role="status">
            {row.fileName} is being imported in another tab or window of Cogzy Vault.
          </p>
        )}
      </For>
      <Show when={lastFinished()}>
        {(done) => (
          <div role="status" data-testid="import-result">
            <ErrorNotice error={done().error} />
            <For each={done().rows}>
              {(row) => (
                <p class={`notice ${row.status === 'failed' ? 'error' : row.status === 'complete' ? 'ok' : 'warn'}`} data-import-id={row.id} data-status={row.status}>
                  <strong>{row.fileName}: </strong>
                  {describeImport(row)}
                </p>
              )}
            </For>
            <Show when={done().rows.some((r) => r.status === 'complete' && r.counts.created > 0)}>
              <p>
                <a href="#/search">Search your vault</a> or <a href="#/conversations">browse the conversations</a>.
              </p>
            </Show>
          </div>
        )}
      </Show>
      <ErrorNotice error={history.error()} />
      <Show when={finished().length > 0}>
        <h2>Import history</h2>
        <ImportHistory rows={finished()} />
      </Show>
    </section>
  );
}
