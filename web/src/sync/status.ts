/**
 * The sync service's state as the rest of the app sees it, without loading the service (engine, crypto, Argon2id):
 * a Solid signal the header indicator reads on every page. The handle that loads the service is ui/sync.ts.
 *
 *   syncStatus(): SyncServiceState                  reactive
 *   setSyncStatus(state)                            the service's own writer
 *   SYNC_STATE_LABELS                               words for each state
 */
import { createSignal } from 'solid-js';
import type { SyncState } from '../../../shared/sync/engine';

/**
 * The engine's states, plus those that come before it can run: signed out; sync never set up for this account
 * (no wrapped key on the server); set up but not unlocked on this device.
 */
export type SyncServiceState = SyncState | 'starting' | 'signed-out' | 'not-set-up' | 'locked';

const [syncStatus, setStatus] = createSignal<SyncServiceState>('starting');
export { syncStatus };

export function setSyncStatus(state: SyncServiceState): void {
  setStatus(state);
}

/** Words for each state, shared by the header indicator and the dashboard. */
export const SYNC_STATE_LABELS: Record<SyncServiceState, string> = {
  starting: 'Starting sync…',
  'signed-out': 'Not signed in',
  'not-set-up': 'Set up sync',
  locked: 'Sync locked',
  idle: 'Sync ready',
  pulling: 'Pulling…',
  pushing: 'Pushing…',
  'in-sync': 'In sync',
  offline: 'Offline',
  error: 'Sync error',
  conflict: 'Sync conflict',
  'vault-full': 'Vault full',
  'clock-skew': 'Clock is off',
};
