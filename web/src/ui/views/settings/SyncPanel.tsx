import type { JSX } from 'solid-js';
import { SYNC_STATE_LABELS, syncStatus } from '../../../sync/status';

/** Settings → Sync: the state in one line and the way to the sync page. */
export default function SyncPanel(): JSX.Element {
  return (
    <>
      <p>
        End-to-end encrypted sync between your devices. Now: <strong data-testid="settings-sync-state">{SYNC_STATE_LABELS[syncStatus()]}</strong>.
      </p>
      <p>
        <a href="#/settings/sync">Set up, unlock or check sync</a>
      </p>
    </>
  );
}
