/**
 * Views load as their own chunks. Solid's `lazy` keeps a failed import forever, so a chunk that could not load once
 * (the connection dropped before the service worker had it) would leave the view broken until a reload. Here a
 * failed load is forgotten and becomes APP_PART_UNAVAILABLE: the error boundary in App shows that sentence with a
 * Retry button, and Retry (or the next visit to the view) imports again.
 *
 * Some browsers also remember the failure: Chromium 150 answers a second `import()` of a module whose fetch failed
 * with the same error, without asking the network again. So when a retry's import fails too, the chunk named by the
 * first error is imported under a new address (same file, a `retry` query), which the browser has not seen.
 */
import { Show, createResource, type Component, type JSX } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { AppError } from '../../../shared/errors';
import { failedModuleUrl } from './module-url';

export function lazyView<P extends object>(load: () => Promise<{ default: Component<P> }>): Component<P> {
  let loading: Promise<Component<P>> | undefined;
  let failed: string | null = null;
  let retries = 0;
  const importAgain = async (): Promise<{ default: Component<P> }> => {
    try {
      return await load();
    } catch (error) {
      const url = failedModuleUrl(error, location.origin) ?? failed;
      const retrying = failed !== null;
      failed = url;
      // The first failure is reported as it is; only a retry that fails too tries the new address.
      if (!retrying || url === null) throw error;
      retries += 1;
      const fresh = new URL(url);
      fresh.searchParams.set('retry', String(retries));
      const module = (await import(/* @vite-ignore */ fresh.href)) as { default?: unknown };
      if (typeof module.default !== 'function') throw error;
      return { default: module.default as Component<P> };
    }
  };
  const loadOnce = (): Promise<Component<P>> =>
    (loading ??= importAgain().then(
      (module) => module.default,
      (error: unknown) => {
        loading = undefined;
        throw new AppError('APP_PART_UNAVAILABLE', { detail: error instanceof Error ? error.message : String(error), cause: error });
      },
    ));
  return (props: P): JSX.Element => {
    // A resource suspends the surrounding Suspense while loading and throws to the ErrorBoundary when it failed.
    const [component] = createResource(loadOnce);
    return <Show when={component()}>{(loaded) => <Dynamic component={loaded()} {...props} />}</Show>;
  };
}
