import { Show, type JSX } from 'solid-js';
import { SYNC_STATE_LABELS, syncStatus } from '../../sync/status';

/** The header's small sync state, on every page; it links to the sync page. Hidden until the person uses sync. */
export default function SyncIndicator(): JSX.Element {
  const shown = () => syncStatus() !== 'starting' && syncStatus() !== 'signed-out';
  return (
    <Show when={shown()}>
      <a class="sync-indicator" href="#/settings/sync" data-state={syncStatus()} data-testid="sync-indicator" title={`${SYNC_STATE_LABELS[syncStatus()]}: open sync settings`}>
        <span class="sync-dot" aria-hidden="true" />
        <span class="sync-indicator-label">{SYNC_STATE_LABELS[syncStatus()]}</span>
      </a>
    </Show>
  );
}
