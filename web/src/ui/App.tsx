import { createEffect, For, Show, Suspense, type JSX } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { navigate, route } from './router';
import { SEARCH_INPUT_ID, navEntries, viewFor } from './views';
import { online } from './online';
import { effectiveTheme, loadThemeSetting, toggleTheme } from './theme';
import type { ServiceWorkerState } from '../pwa/register';
import HomeView from './views/HomeView';
import { startNavigationMemory } from './nav-memory';

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
  window.addEventListener('dragover', ignoreStrayDrop);
  window.addEventListener('drop', ignoreStrayDrop);
  // A vault that cannot open is explained by the views; the theme then stays as the mirror says.
  loadThemeSetting().catch(() => undefined);
  const current = (): string => route().segments[0] ?? '';
  const view = () => viewFor(route());

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
          <Show when={!online()}>
            <span class="offline-badge" role="status" title="You are offline. Everything local still works.">
              Offline
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
        <Suspense fallback={<p class="loading" role="status">Loading…</p>}>
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
      </main>
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
