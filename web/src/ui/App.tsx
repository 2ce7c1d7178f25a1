import { createEffect, ErrorBoundary, For, on, onCleanup, Show, Suspense, type JSX } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { navigate, route } from './router';
import { SEARCH_INPUT_ID, navEntries, viewFor } from './views';
import { reachability } from './online';
import { effectiveTheme, loadThemeSetting, toggleTheme } from './theme';
import type { ServiceWorkerState } from '../pwa/register';
import HomeView from './views/HomeView';
import { toAppError, type AppError } from '../../../shared/errors';
import { startNavigationMemory } from './nav-memory';
import SyncIndicator from './components/SyncIndicator';
import UsageBadge from './components/UsageBadge';
import { startSyncLater } from './sync';
import StorageUpgrade from './components/StorageUpgrade';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** `/` jumps to the search box from anywhere (unless the person is typing somewhere). */
function onGlobalKey(e: KeyboardEvent): void {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
  e.preventDefault();
  const focus = (): void => document.getElementById(SEARCH_INPUT_ID)?.focus();
  if (route().segments[0] === 'search') focus();
  else {
    navigate('#/search');
    // The search view loads lazily: focus once it has rendered.
    const started = performance.now();
    const tryFocus = (): void => {
      const el = document.getElementById(SEARCH_INPUT_ID);
      if (el) el.focus();
      else if (performance.now() - started < 3000) requestAnimationFrame(tryFocus);
    };
    requestAnimationFrame(tryFocus);
  }
}

/** A file dropped outside the drop zone must not make the browser navigate away from the app to show the file. */
function ignoreStrayDrop(e: DragEvent): void {
  if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
}

export default function App(props: { sw: ServiceWorkerState }): JSX.Element {
  document.addEventListener('keydown', onGlobalKey);
  startNavigationMemory();
  startSyncLater();
  window.addEventListener('dragover', ignoreStrayDrop);
  window.addEventListener('drop', ignoreStrayDrop);
  // A vault that cannot open is explained by the views; the theme then stays as the mirror says.
  loadThemeSetting().catch(() => undefined);
  const current = (): string => route().segments[0] ?? '';
  const view = () => viewFor(route());

  // A view that failed (e.g. its chunk could not load offline) is tried again when the person goes elsewhere.
  let resetView: (() => void) | undefined;
  createEffect(
    on(
      () => route().segments[0],
      () => {
        const reset = resetView;
        resetView = undefined;
        reset?.();
      },
      { defer: true },
    ),
  );

  // The "saved on this device" note is passive: it goes away by itself after a while (and is not shown again).
  createEffect(() => {
    if (!props.sw.offlineReady()) return;
    const timer = setTimeout(() => props.sw.dismissOfflineReady(), 15_000);
    onCleanup(() => clearTimeout(timer));
  });

  createEffect(() => {
    const v = view();
    document.title = v ? `${v.label} · Cogzy Vault` : 'Cogzy Vault';
  });

  return (
    <div class="app">
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="app-header">
        <a class="brand" href="#/" aria-label="Cogzy Vault home">
          <img src="/icons/icon.svg" alt="" width="28" height="28" />
          <span>Cogzy Vault</span>
        </a>
        <div class="header-tools">
          <UsageBadge />
          <SyncIndicator />
          <Show when={reachability() !== 'online'}>
            <span
              class="offline-badge"
              role="status"
              data-state={reachability()}
              title={
                reachability() === 'offline'
                  ? 'You are offline. Everything on this device still works; online services resume when the connection is back.'
                  : 'Cogzy’s server is not answering. Everything on this device still works; the app keeps trying.'
              }
            >
              {reachability() === 'offline' ? 'Offline' : 'Can’t reach the server'}
            </span>
          </Show>
          <button
            type="button"
            class="icon-button"
            onClick={toggleTheme}
            aria-label={effectiveTheme() === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
            title={effectiveTheme() === 'dark' ? 'Switch to light mode' : 'Switch to dark mode'}
          >
            {effectiveTheme() === 'dark' ? '☀' : '☾'}
          </button>
        </div>
      </header>
      <nav class="app-nav" aria-label="Main">
        <ul>
          <For each={navEntries()}>
            {(entry) => (
              <li>
                <a href={`#/${entry.path}`} aria-current={current() === entry.path ? 'page' : undefined}>
                  <span class="nav-icon" aria-hidden="true">
                    {entry.nav?.icon}
                  </span>
                  <span class="nav-label">{entry.label}</span>
                  <Show when={entry.nav?.short}>
                    <span class="nav-short" aria-hidden="true">
                      {entry.nav?.short}
                    </span>
                  </Show>
                </a>
              </li>
            )}
          </For>
        </ul>
      </nav>
      <main id="main" class="app-main" tabindex="-1">
        <ErrorBoundary
          fallback={(error: unknown, reset) => {
            resetView = reset;
            return <ViewFailure error={toAppError(error)} retry={reset} />;
          }}
        >
          <Suspense
            fallback={
              <StorageUpgrade>
                <p class="loading" role="status">
                  Loading…
                </p>
              </StorageUpgrade>
            }
          >
            <Show
              when={view()}
              fallback={
                <Show when={current() === ''} fallback={<NotFound />}>
                  <HomeView />
                </Show>
              }
            >
              {(v) => <Dynamic component={v().component} route={route()} />}
            </Show>
          </Suspense>
        </ErrorBoundary>
      </main>
      <Show when={props.sw.offlineReady() && !props.sw.updateReady()}>
        <div class="toast" role="status" data-testid="offline-ready">
          <span>Cogzy Vault is now saved on this device: it opens and searches your vault even with no connection.</span>
          <button type="button" class="button" onClick={() => props.sw.dismissOfflineReady()}>
            Got it
          </button>
        </div>
      </Show>
      <Show when={props.sw.updateReady()}>
        <div class="toast" role="alert">
          <span>A new version is ready.</span>
          <button type="button" class="button primary" onClick={() => void props.sw.applyUpdate()}>
            Reload
          </button>
          <button type="button" class="button" onClick={() => props.sw.dismissUpdate()}>
            Later
          </button>
        </div>
      </Show>
    </div>
  );
}

function NotFound(): JSX.Element {
  return (
    <section class="page">
      <h1>Page not found</h1>
      <p>
        That address does not lead anywhere in Cogzy Vault. <a href="#/search">Go to search</a>.
      </p>
    </section>
  );
}

/** A view that could not load or render: the sentence, and a way to try again that does not lose the page. */
function ViewFailure(props: { error: AppError; retry: () => void }): JSX.Element {
  // The code and non-secret detail go to the console for support; the person sees the sentence.
  console.error(`view failed: ${props.error.code}`, props.error.detail ?? '');
  return (
    <section class="page">
      <div class="notice error" role="alert" data-code={props.error.code}>
        {props.error.message}
      </div>
      <p class="actions">
        <button type="button" class="button primary" onClick={() => props.retry()}>
          Try again
        </button>{' '}
        <button type="button" class="button" onClick={() => location.reload()}>
          Reload the app
        </button>
      </p>
    </section>
  );
}
