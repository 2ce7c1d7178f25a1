import { For, Show, type JSX } from 'solid-js';
import type { ImportRow } from '../../db/database';
import { formatBytes, formatDateTime, formatDuration, formatNumber, providerLabel } from '../format';
import { skipSentences, warningSentences } from '../../vault/import-text';
import { describeImport } from '../../vault/imports';

const STATUS_LABEL: Record<ImportRow['status'], string> = {
  pending: 'Waiting',
  processing: 'Importing',
  complete: 'Complete',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

export default function ImportHistory(props: { rows: readonly ImportRow[] }): JSX.Element {
  return (
    <ol class="history" aria-label="Import history" data-testid="import-history">
      <For each={props.rows}>
        {(row) => {
          const warnings = (): string[] => warningSentences(row);
          const skips = (): string[] => skipSentences(row);
          return (
            <li data-status={row.status} data-import-id={row.id}>
              <div class="history-head">
                <span class="history-name">{row.fileName}</span>
                <span style={{ display: 'flex', gap: '0.4rem', 'flex-wrap': 'wrap' }}>
                  <Show when={row.provider}>
                    <span class="badge">{providerLabel(row.provider)}</span>
                  </Show>
                  <span class={`badge status-${row.status === 'interrupted' ? 'cancelled' : row.status}`}>{STATUS_LABEL[row.status]}</span>
                </span>
              </div>
              <p class="muted" style={{ margin: '0.15rem 0', 'font-size': '0.85rem' }}>
                {formatDateTime(row.timings.createdAt)} · {formatBytes(row.bytes)}
                <Show when={row.timings.finishedAt !== null && row.timings.startedAt !== null}>
                  {' '}· took {formatDuration((row.timings.finishedAt ?? 0) - (row.timings.startedAt ?? 0))}
                </Show>
              </p>
              <p class={row.status === 'failed' ? 'notice error' : ''} style={{ margin: '0.35rem 0' }} role={row.status === 'failed' ? 'alert' : undefined} data-testid="import-outcome">
                {describeImport(row)}
              </p>
              <Show when={row.status !== 'pending'}>
                <dl class="counts">
                  <div>
                    <dt>Created</dt>
                    <dd data-testid="count-created">{formatNumber(row.counts.created)}</dd>
                  </div>
                  <div>
                    <dt>Deduplicated</dt>
                    <dd data-testid="count-deduplicated">{formatNumber(row.counts.deduplicated)}</dd>
                  </div>
                  <div>
                    <dt>Skipped</dt>
                    <dd data-testid="count-skipped">{formatNumber(row.counts.skipped)}</dd>
                  </div>
                  <Show when={row.counts.skippedDeleted > 0}>
                    <div>
                      <dt>Skipped, you deleted them</dt>
                      <dd data-testid="count-skipped-deleted">{formatNumber(row.counts.skippedDeleted)}</dd>
                    </div>
                  </Show>
                  <div>
                    <dt>New conversations</dt>
                    <dd data-testid="count-conversations">{formatNumber(row.counts.conversationsCreated)}</dd>
                  </div>
                </dl>
              </Show>
              <Show when={warnings().length + skips().length > 0}>
                <details class="extra">
                  <summary>
                    {warnings().length + skips().length === 1 ? '1 note' : `${warnings().length + skips().length} notes`} about this file
                  </summary>
                  <ul>
                    <For each={[...skips(), ...warnings()]}>{(s) => <li>{s}.</li>}</For>
                  </ul>
                </details>
              </Show>
            </li>
          );
        }}
      </For>
    </ol>
  );
}
