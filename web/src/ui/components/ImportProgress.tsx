import { Show, createSignal, onCleanup, type JSX } from 'solid-js';
import type { ImportRow } from '../../db/database';
import { formatBytes, formatDuration, formatNumber, providerLabel } from '../format';

/** Time left from the byte rate so far; null until there is enough to judge (a few seconds and a few percent). */
export function estimateRemainingMs(row: ImportRow, now: number): number | null {
  const started = row.timings.startedAt;
  const read = row.progress.bytesRead;
  if (started === null || read <= 0 || row.bytes <= 0) return null;
  const elapsed = now - started;
  if (elapsed < 1500 || read / row.bytes < 0.02) return null;
  return ((row.bytes - read) * elapsed) / read;
}

export default function ImportProgress(props: { row: ImportRow; onCancel: () => void; cancelling: boolean }): JSX.Element {
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(tick));
  const percent = (): number => (props.row.bytes > 0 ? Math.min(100, (props.row.progress.bytesRead / props.row.bytes) * 100) : 0);
  const remaining = (): number | null => estimateRemainingMs(props.row, now());

  return (
    <div class="card progress" data-testid="import-progress" aria-busy="true">
      <div class="history-head">
        <span class="history-name">{props.row.fileName}</span>
        <Show when={props.row.provider}>
          <span class="badge">{providerLabel(props.row.provider)}</span>
        </Show>
      </div>
      <div
        class="progress-bar"
        role="progressbar"
        aria-label={`Importing ${props.row.fileName}`}
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow={Math.round(percent())}
        aria-valuetext={`${Math.round(percent())}% of ${formatBytes(props.row.bytes)}`}
      >
        <span style={{ width: `${percent().toFixed(1)}%` }} />
      </div>
      <div class="progress-stats" aria-live="polite">
        <span>
          <strong>{formatBytes(props.row.progress.bytesRead)}</strong> of {formatBytes(props.row.bytes)}
        </span>
        <span>
          <strong data-testid="progress-conversations">{formatNumber(props.row.progress.conversations)}</strong> conversations
        </span>
        <span>
          <strong data-testid="progress-nodes">{formatNumber(props.row.progress.nodes)}</strong> exchanges
        </span>
        <span>
          {props.row.status === 'pending' ? 'Starting…' : remaining() === null ? 'Estimating time left…' : `About ${formatDuration(remaining() ?? 0)} left`}
        </span>
      </div>
      <button type="button" class="button" onClick={() => props.onCancel()} disabled={props.cancelling}>
        {props.cancelling ? 'Cancelling…' : 'Cancel import'}
      </button>
    </div>
  );
}
