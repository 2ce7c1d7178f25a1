import { Show, type JSX } from 'solid-js';
import { createLive } from '../live';
import { timeline } from '../data';
import TimelineChart from '../components/TimelineChart';
import ErrorNotice from '../components/ErrorNotice';
import { href, navigate } from '../router';
import { plural } from '../format';

export default function TimelineView(): JSX.Element {
  const live = createLive(() => null, timeline);
  return (
    <section class="page">
      <h1>Timeline</h1>
      <p class="muted">Conversations started per month. Choose a bar to see that month's conversations.</p>
      <ErrorNotice error={live.error()} />
      <Show when={live.value()} fallback={<p class="loading">Counting…</p>}>
        {(data) => (
          <Show
            when={data().months.length > 0}
            fallback={
              <p class="empty">
                Nothing to show yet. <a href="#/import">Import an export</a> to see your history over time.
              </p>
            }
          >
            <div class="card">
              <TimelineChart data={data().months} onSelect={(month) => navigate(href(['conversations'], { month }))} />
            </div>
            <Show when={data().undated > 0}>
              <p class="muted">{plural(data().undated, 'conversation')} without a date in the export are not shown.</p>
            </Show>
          </Show>
        )}
      </Show>
    </section>
  );
}
