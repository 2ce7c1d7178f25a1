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

/** Where each provider's export is requested (opens the provider's own help or settings page). */
const EXPORT_HELP: readonly { provider: string; url: string; steps: string }[] = [
  { provider: 'ChatGPT', url: 'https://help.openai.com/en/articles/7260999-how-do-i-export-my-chatgpt-history-and-data', steps: 'Settings › Data controls › Export data' },
  { provider: 'Claude', url: 'https://support.anthropic.com/en/articles/9450526-how-can-i-export-my-claude-ai-data', steps: 'Settings › Privacy › Export data' },
  { provider: 'Gemini', url: 'https://takeout.google.com/', steps: 'Google Takeout › My Activity › Gemini Apps' },
  { provider: 'Grok', url: 'https://accounts.x.ai/data', steps: 'xAI account › Data › Download your data' },
  { provider: 'DeepSeek', url: 'https://chat.deepseek.com/', steps: 'Settings › Data › Export data' },
  { provider: 'Copilot', url: 'https://account.microsoft.com/privacy/copilot', steps: 'Microsoft privacy dashboard › Copilot › Export activity' },
];
const PROVIDER_NAMES = 'ChatGPT, Claude, Gemini, Grok, DeepSeek or Copilot';

/** A touch screen has nothing to drag a file with: it is told to choose one. */
const touchOnly = (): boolean => typeof matchMedia !== 'undefined' && matchMedia('(hover: none) and (pointer: coarse)').matches;

export default function ImportView(_props: ViewProps): JSX.Element {
  const history = createLive(() => null, importHistory);
  const stats = createLive(() => null, vaultStats);
  const [rejected, setRejected] = createSignal<string[]>([]);

  const finished = createMemo(() => history.value()?.filter((r) => r.status !== 'pending' && r.status !== 'processing') ?? []);
  // An import running in another tab shows in the history as processing; say so rather than showing nothing.
  const elsewhere = createMemo(() => (activeRuns().length === 0 ? (history.value()?.filter((r) => r.status === 'processing') ?? []) : []));
  const empty = (): boolean => stats.value()?.conversations === 0 && activeRuns().length === 0;
  const headline = (): string => {
    if (touchOnly()) return empty() ? `Choose your ${PROVIDER_NAMES} export` : 'Choose another export';
    return empty() ? `Drop your ${PROVIDER_NAMES} export here` : 'Drop another export here';
  };

  const onFiles = (files: File[]): void => {
    const ok = files.filter((f) => ACCEPTED_EXTENSIONS.some((ext) => f.name.toLowerCase().endsWith(ext)));
    setRejected(files.filter((f) => !ok.includes(f)).map((f) => f.name));
    if (ok.length > 0) void importFiles(ok);
  };

  return (
    <section class="page">
      <h1>{empty() ? 'Welcome to Cogzy Vault' : 'Import'}</h1>
      <Show when={empty()}>
        <p>
          Bring your AI chat history together in one private, searchable vault that lives on this device and works offline. Request an export
          from your provider, then add the file here:
        </p>
        <ul class="provider-help" data-testid="export-instructions">
          <For each={EXPORT_HELP}>
            {(help) => (
              <li>
                <a href={help.url} target="_blank" rel="noopener noreferrer">
                  {help.provider}
                </a>
                : {help.steps}
              </li>
            )}
          </For>
        </ul>
      </Show>
      <DropZone onFiles={onFiles} headline={headline()} />
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
