import { Match, Switch, createResource, lazy, type JSX } from 'solid-js';
import { vault, vaultStats } from '../data';
import { navigate } from '../router';
import ErrorNotice from '../components/ErrorNotice';
import StorageUpgrade from '../components/StorageUpgrade';
import { toAppError } from '../../../../shared/errors';

const ImportView = lazy(() => import('./ImportView'));

/**
 * `#/`: decided once, on arrival: an empty vault opens on the import page (and stays there while the first import
 * runs); a vault with conversations opens on search.
 */
export default function HomeView(): JSX.Element {
  const [stats] = createResource(async () => {
    const s = await vaultStats((await vault()).db);
    if (s.conversations > 0) navigate('#/search', { replace: true });
    return s;
  });
  return (
    <Switch
      fallback={
        <StorageUpgrade>
          <p class="loading">Opening your vault…</p>
        </StorageUpgrade>
      }
    >
      <Match when={stats.error !== undefined}>
        <ErrorNotice error={toAppError(stats.error).toData()} title="Your vault could not be opened." />
      </Match>
      <Match when={stats()?.conversations === 0}>
        <ImportView route={{ segments: ['import'], params: new URLSearchParams() }} />
      </Match>
    </Switch>
  );
}
