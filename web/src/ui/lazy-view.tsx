/**
 * Views load as their own chunks. Solid's `lazy` keeps a failed import forever, so a chunk that could not load once
 * (the connection dropped before the service worker had it) would leave the view broken until a reload. Here a
 * failed load is forgotten and becomes APP_PART_UNAVAILABLE: the error boundary in App shows that sentence with a
 * Retry button, and Retry (or the next visit to the view) imports again.
 */
import { Show, createResource, type Component, type JSX } from 'solid-js';
import { Dynamic } from 'solid-js/web';
import { AppError } from '../../../shared/errors';

export function lazyView<P extends object>(load: () => Promise<{ default: Component<P> }>): Component<P> {
  let loading: Promise<Component<P>> | undefined;
  const loadOnce = (): Promise<Component<P>> =>
    (loading ??= load().then(
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
