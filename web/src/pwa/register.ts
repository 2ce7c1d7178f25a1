/**
 * Service worker registration in 'prompt' mode: a new version waits until the person chooses to reload, so an open
 * tab is never reloaded in the middle of an import or an IndexedDB upgrade.
 */
import { useRegisterSW } from 'virtual:pwa-register/solid';
import type { Accessor } from 'solid-js';

export interface ServiceWorkerState {
  /** A new version is installed and waiting. */
  readonly updateReady: Accessor<boolean>;
  /** The app was just cached for the first time and will open without a network: say so, once. */
  readonly offlineReady: Accessor<boolean>;
  dismissOfflineReady(): void;
  /** Activates the waiting version and reloads this tab. */
  applyUpdate(): Promise<void>;
  dismissUpdate(): void;
}

// Whether the person was already told the app works offline (per browser profile; losing it only repeats the note).
const ANNOUNCED_KEY = 'cogzy.offline-ready-announced';
const announced = (): boolean => {
  try {
    return localStorage.getItem(ANNOUNCED_KEY) === '1';
  } catch {
    return false;
  }
};
const markAnnounced = (): void => {
  try {
    localStorage.setItem(ANNOUNCED_KEY, '1');
  } catch {
    // Storage refused (private mode): the note may show again next time, which is harmless.
  }
};

export function registerServiceWorker(): ServiceWorkerState {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    offlineReady: [offlineReady, setOfflineReady],
    updateServiceWorker,
  } = useRegisterSW({
    immediate: true,
    // The app works without a service worker (just not offline); the console keeps the reason for support.
    onRegisterError: (error: unknown) => console.error('service worker registration failed', error),
  });
  return {
    updateReady: needRefresh,
    offlineReady: () => offlineReady() && !announced(),
    dismissOfflineReady: () => {
      markAnnounced();
      setOfflineReady(false);
    },
    applyUpdate: async () => {
      // The plugin reloads only when the page was already controlled when it loaded; a first session is claimed by the
      // service worker later (clientsClaim), so reload on the controller change ourselves. A second reload request
      // from the plugin is the same navigation.
      navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
      await updateServiceWorker(true);
    },
    dismissUpdate: () => setNeedRefresh(false),
  };
}
