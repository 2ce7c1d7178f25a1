import { Show, createResource, createSignal, type JSX } from 'solid-js';
import { formatBytes } from '../../format';

type PersistState = 'granted' | 'refused' | 'unsupported';

async function readStorage(): Promise<{ usage: number; quota: number; persisted: PersistState }> {
  if (!('storage' in navigator) || typeof navigator.storage.estimate !== 'function') {
    return { usage: 0, quota: 0, persisted: 'unsupported' };
  }
  const [estimate, persisted] = await Promise.all([navigator.storage.estimate(), navigator.storage.persisted()]);
  return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted: persisted ? 'granted' : 'refused' };
}

const EXPLAIN: Record<PersistState, string> = {
  granted:
    'Your browser has agreed to keep the vault: it will not delete it to free space. It is still only on this device, so export it or turn on sync to keep a copy.',
  refused:
    'Your browser has not promised to keep the vault. When the disk gets very full it may delete site data, including the vault. Browsers often agree after you install the app or use it regularly; ask again below.',
  unsupported: 'This browser does not report storage use. The vault still works; export it now and then to keep a copy.',
};

export default function StoragePanel(): JSX.Element {
  const [info, { refetch }] = createResource(readStorage);
  const [asked, setAsked] = createSignal<string | null>(null);

  const request = async (): Promise<void> => {
    const granted = await navigator.storage.persist();
    setAsked(
      granted
        ? 'Done: the browser will keep the vault when space runs low.'
        : 'The browser said no for now. Installing the app (or bookmarking it and using it often) usually changes its mind.',
    );
    void refetch();
  };

  return (
    <Show when={info()} fallback={<p class="loading">Measuring…</p>}>
      {(s) => (
        <>
          <p data-testid="storage-usage">
            Using <strong>{formatBytes(s().usage)}</strong>
            <Show when={s().quota > 0}> of about {formatBytes(s().quota)} this browser allows for the app</Show>.
          </p>
          <Show when={s().quota > 0}>
            <div
              class="meter"
              role="meter"
              aria-label="Storage used"
              aria-valuemin="0"
              aria-valuemax={s().quota}
              aria-valuenow={s().usage}
            >
              <span style={{ width: `${Math.min(100, (s().usage / s().quota) * 100).toFixed(2)}%` }} />
            </div>
          </Show>
          <p>
            <strong>Kept safe from clean-up: {s().persisted === 'granted' ? 'yes' : s().persisted === 'refused' ? 'not yet' : 'unknown'}.</strong>{' '}
            {EXPLAIN[s().persisted]}
          </p>
          <p class="muted">If the disk fills during an import, the import stops with a message and nothing is half-written.</p>
          <Show when={s().persisted === 'refused'}>
            <div class="actions">
              <button type="button" class="button" onClick={() => void request()}>
                Ask the browser to keep the vault
              </button>
            </div>
          </Show>
          <Show when={asked()}>{(text) => <p role="status">{text()}</p>}</Show>
        </>
      )}
    </Show>
  );
}
