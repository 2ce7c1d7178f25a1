import { Show, type JSX } from 'solid-js';
import type { ActiveRun } from '../import-runs';
import { formatBytes, formatDuration, formatNumber } from '../format';

function timeLeft(etaMs: number | null): string {
  if (etaMs === null) return 'Estimating time left…';
  return etaMs < 1000 ? 'Almost done' : `About ${formatDuration(etaMs)} left`;
}

/** Progress of one running import: bar, bytes, conversations, exchanges, time left, and a cancel button. */
export default function ImportProgress(props: { run: ActiveRun }): JSX.Element {
  const p = () => props.run.progress;
  const percent = (): number => {
    const progress = p();
    return progress && progress.totalBytes > 0 ? Math.min(100, (progress.bytesRead / progress.totalBytes) * 100) : 0;
  };
  const fileCount = (): string => {
    const progress = p();
    const n = props.run.fileNames.length;
    return n > 1 && progress ? ` (file ${progress.fileIndex + 1} of ${n})` : '';
  };

  return (
    <div class="card progress" data-testid="import-progress" aria-busy="true">
      <div class="history-head">
        <span class="history-name">
          {props.run.currentFile ?? props.run.fileNames.join(', ')}
          {fileCount()}
        </span>
      </div>
      <div
        class="progress-bar"
        role="progressbar"
        aria-label={`Importing ${props.run.currentFile ?? 'your export'}`}
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow={Math.round(percent())}
      >
        <span style={{ width: `${percent().toFixed(1)}%` }} />
      </div>
      <Show when={p()} fallback={<p class="progress-stats">Opening the file…</p>}>
        {(progress) => (
          <div class="progress-stats">
            <span>
              <strong>{formatBytes(progress().bytesRead)}</strong> of {formatBytes(progress().totalBytes)}
            </span>
            <span>
              <strong data-testid="progress-conversations">{formatNumber(progress().conversations)}</strong> conversations
            </span>
            <span>
              <strong data-testid="progress-nodes">{formatNumber(progress().nodes)}</strong> new exchanges
            </span>
            <Show when={progress().duplicates > 0}>
              <span>
                <strong>{formatNumber(progress().duplicates)}</strong> already in the vault
              </span>
            </Show>
            <span>{timeLeft(progress().etaMs)}</span>
          </div>
        )}
      </Show>
      <button type="button" class="button" onClick={() => props.run.cancel()} disabled={props.run.cancelling}>
        {props.run.cancelling ? 'Cancelling…' : 'Cancel import'}
      </button>
    </div>
  );
}
