import { Show, createResource, createSignal, type JSX } from 'solid-js';
import { PERSIST_GRANTED, PERSIST_REFUSED, PERSIST_UNSUPPORTED, requestPersistentStorage, storageStatus } from '../../../vault/storage';
import { formatBytes } from '../../format';

/** Usage and quota, and whether the browser promised to keep the vault (with what that means). */
export default function StoragePanel(): JSX.Element {
  const [status, { refetch }] = createResource(storageStatus);
  const [asked, setAsked] = createSignal<string | null>(null);

  const request = async (): Promise<void> => {
    const outcome = await requestPersistentStorage();
    setAsked(outcome.explanation);
    void refetch();
  };

  return (
    <Show when={status()} fallback={<p class="loading">Measuring…</p>}>
      {(s) => (
        <>
          <Show when={s().supported} fallback={<p>{PERSIST_UNSUPPORTED}</p>}>
            <p data-testid="storage-usage">
              Using <strong>{formatBytes(s().usage ?? 0)}</strong>
              <Show when={s().quota}>{(quota) => <> of about {formatBytes(quota())} this browser allows for the app</>}</Show>.
            </p>
            <Show when={s().quota}>
              {(quota) => (
                <div class="meter" role="meter" aria-label="Storage used" aria-valuemin="0" aria-valuemax={quota()} aria-valuenow={s().usage ?? 0}>
                  <span style={{ width: `${Math.min(100, ((s().usage ?? 0) / quota()) * 100).toFixed(2)}%` }} />
                </div>
              )}
            </Show>
            <p>
              <strong>Kept safe from clean-up: {s().persisted === true ? 'yes' : s().persisted === false ? 'not yet' : 'unknown'}.</strong>{' '}
              {s().persisted === true ? PERSIST_GRANTED : s().persisted === false ? PERSIST_REFUSED : PERSIST_UNSUPPORTED}
            </p>
          </Show>
          <p class="muted">If the disk fills during an import, the import stops with a message and nothing is half-written.</p>
          <Show when={s().persisted !== true}>
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
