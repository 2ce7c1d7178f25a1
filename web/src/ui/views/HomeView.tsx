import { Match, Switch, createEffect, lazy, type JSX } from 'solid-js';
import { createLive } from '../live';
import { vaultStats } from '../data';
import { navigate } from '../router';
import ErrorNotice from '../components/ErrorNotice';

const ImportView = lazy(() => import('./ImportView'));

/** `#/`: an empty vault opens on the import page; a vault with conversations opens on search. */
export default function HomeView(): JSX.Element {
  const stats = createLive(() => null, vaultStats);
  createEffect(() => {
    const s = stats.value();
    if (s && s.conversations > 0) navigate('#/search', { replace: true });
  });
  return (
    <Switch fallback={<p class="loading">Opening your vault…</p>}>
      <Match when={stats.error()}>
        <ErrorNotice error={stats.error()} title="Your vault could not be opened." />
      </Match>
      <Match when={stats.value()?.conversations === 0}>
        <ImportView route={{ segments: ['import'], params: new URLSearchParams() }} />
      </Match>
    </Switch>
  );
}
