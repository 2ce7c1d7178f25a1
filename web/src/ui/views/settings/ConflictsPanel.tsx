import { Show, type JSX } from 'solid-js';
import { listNoteConflicts } from '../../../vault/edits';
import { plural } from '../../format';
import { createLive } from '../../live';

/** Settings → Note conflicts: how many notes wait for a choice, and the way to the queue. */
export default function ConflictsPanel(): JSX.Element {
  const live = createLive(() => null, (db) => listNoteConflicts(db));
  return (
    <div>
      <p data-testid="conflict-count">
        <Show when={live.value()} fallback="Looking for conflicts…">
          {(conflicts) => (conflicts().length === 0 ? 'No note is waiting for you: every note is in one version.' : `${plural(conflicts().length, 'note')} changed on two devices at once: ${conflicts().length === 1 ? 'it waits' : 'they wait'} for you to choose.`)}
        </Show>
      </p>
      <p>
        <a href="#/conflicts">Open the conflict queue</a>
      </p>
    </div>
  );
}
