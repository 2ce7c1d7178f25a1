/**
 * Service worker registration in 'prompt' mode: a new version waits until the person chooses to reload, so an open
 * tab is never reloaded in the middle of an import or an IndexedDB upgrade.
 */
import { useRegisterSW } from 'virtual:pwa-register/solid';
import type { Accessor } from 'solid-js';

export interface ServiceWorkerState {
  /** A new version is installed and waiting. */
  readonly updateReady: Accessor<boolean>;
  /** The app is cached and will open without a network. */
  readonly offlineReady: Accessor<boolean>;
  /** Activates the waiting version and reloads this tab. */
  applyUpdate(): Promise<void>;
  dismissUpdate(): void;
}

export function registerServiceWorker(): ServiceWorkerState {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    offlineReady: [offlineReady],
    updateServiceWorker,
  } = useRegisterSW({
    immediate: true,
    // The app works without a service worker (just not offline); the console keeps the reason for support.
    onRegisterError: (error: unknown) => console.error('service worker registration failed', error),
  });
  return {
    updateReady: needRefresh,
    offlineReady,
    applyUpdate: () => updateServiceWorker(true),
    dismissUpdate: () => setNeedRefresh(false),
  };
}
