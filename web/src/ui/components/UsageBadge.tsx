import { Show, onCleanup, onMount, type JSX } from 'solid-js';
import { fetchUsage, resetTime, usageNow } from '../../chat/usage';
import { hasAccountHint } from '../../account/hint';
import { reachability } from '../online';

/** Asked again at most this often when the window regains focus (the day may have rolled over meanwhile). */
const REFRESH_AFTER_MS = 60_000;

/**
 * The header's ask-memory usage on the free plan: "3 of 20 messages · resets 01:00" (just "3/20" on a phone), linking
 * to the Ask page. Shown only while signed in on the free plan; premium and signed-out people see nothing.
 */
export default function UsageBadge(): JSX.Element {
  let fetchedAt = 0;
  const refresh = (): void => {
    // Only for a profile that has signed in, and not while our server is known to be out of reach.
    if (!hasAccountHint() || reachability() !== 'online' || Date.now() - fetchedAt < REFRESH_AFTER_MS) return;
    fetchedAt = Date.now();
    // A failure (offline, server down) keeps the last figure; the connectivity badge already says why.
    void fetchUsage().catch(() => undefined);
  };
  onMount(() => {
    refresh();
    window.addEventListener('focus', refresh);
    onCleanup(() => window.removeEventListener('focus', refresh));
  });
  const free = () => {
    const usage = usageNow();
    return usage !== null && usage.limit !== null ? { ...usage, limit: usage.limit } : null;
  };
  return (
    <Show when={free()}>
      {(u) => (
        <a
          class="usage-badge"
          href="#/ask"
          data-testid="usage-badge"
          data-full={u().used >= u().limit ? 'true' : undefined}
          title={`${u().used} of ${u().limit} ask messages used today; the count resets at ${resetTime(u())} (midnight UTC).`}
        >
          <span class="usage-short" aria-hidden="true">
            {u().used}/{u().limit}
          </span>
          <span class="usage-long">
            {u().used} of {u().limit} messages · resets {resetTime(u())}
          </span>
        </a>
      )}
    </Show>
  );
}
