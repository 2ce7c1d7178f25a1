import { Show, type JSX } from 'solid-js';
import { storageUpgrade } from '../data';

/**
 * While the page waits for the vault: how far a storage upgrade is (once, after an app update that changes how the
 * vault is stored; a large vault takes a while), else `children` (the usual loading line).
 */
export default function StorageUpgrade(props: { children: JSX.Element }): JSX.Element {
  const count = (n: number): string => n.toLocaleString();
  return (
    <Show when={storageUpgrade()} fallback={props.children}>
      {(progress) => (
        <div class="loading storage-upgrade" role="status">
          <p>
            Updating how your vault is stored, once after this app update: {count(progress().done)} of {count(progress().total)}{' '}
            exchanges. Closing the tab is safe: the vault stays as it was and the update starts again next time.
          </p>
          <progress max={Math.max(1, progress().total)} value={progress().done} aria-label="Storage update" />
        </div>
      )}
    </Show>
  );
}
