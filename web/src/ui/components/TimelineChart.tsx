import { For, createMemo, type JSX } from 'solid-js';
import { formatMonth, formatNumber, plural } from '../format';
import type { TimelineMonth } from '../../vault/conversations';

type MonthCount = Pick<TimelineMonth, 'month' | 'count'>;

const WIDTH = 720;
const HEIGHT = 200;
const PAD_TOP = 16;
const PAD_BOTTOM = 28;
const PAD_LEFT = 56;
const PAD_RIGHT = 16;
/** Year labels closer than this (in chart units) to the previous one are left out. */
const LABEL_SPACING = 60;

/** Conversations per month as an SVG bar chart, with the same numbers in a table for screen readers. */
export default function TimelineChart(props: { data: readonly MonthCount[]; onSelect?: (month: string) => void }): JSX.Element {
  // The timeline service already includes empty months, so gaps in someone's history show as gaps.
  const months = (): readonly MonthCount[] => props.data;
  const max = createMemo(() => Math.max(1, ...months().map((d) => d.count)));
  const slot = createMemo(() => (WIDTH - PAD_LEFT - PAD_RIGHT) / Math.max(months().length, 1));
  const bar = createMemo(() => Math.max(1, Math.min(40, slot() * 0.8)));
  const plotHeight = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const total = createMemo(() => months().reduce((s, d) => s + d.count, 0));
  const labels = createMemo(() => {
    const out: { x: number; text: string }[] = [];
    months().forEach((d, i) => {
      if (i !== 0 && !d.month.endsWith('-01')) return;
      const x = PAD_LEFT + i * slot();
      const last = out[out.length - 1];
      if (!last || x - last.x >= LABEL_SPACING) out.push({ x, text: d.month.slice(0, 4) });
    });
    return out;
  });

  return (
    <figure class="timeline" style={{ margin: 0 }}>
      <div class="chart-scroll">
        <svg
          class="timeline-chart"
          role="img"
          aria-labelledby="timeline-title timeline-desc"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        >
          <title id="timeline-title">Conversations per month</title>
          <desc id="timeline-desc">
            {plural(total(), 'conversation')} over {plural(months().length, 'month')}; the busiest month had {formatNumber(max())}.
          </desc>
          <line x1={PAD_LEFT} x2={WIDTH - PAD_RIGHT} y1={HEIGHT - PAD_BOTTOM} y2={HEIGHT - PAD_BOTTOM} />
          <text x={PAD_LEFT - 6} y={PAD_TOP + 4} text-anchor="end">
            {formatNumber(max())}
          </text>
          <text x={PAD_LEFT - 6} y={HEIGHT - PAD_BOTTOM} text-anchor="end">
            0
          </text>
          <For each={months()}>
            {(d, i) => {
              const h = (): number => (d.count / max()) * plotHeight;
              const x = (): number => PAD_LEFT + i() * slot() + (slot() - bar()) / 2;
              return (
                <g>
                  <rect
                    class="bar"
                    x={x()}
                    y={HEIGHT - PAD_BOTTOM - h()}
                    width={bar()}
                    height={Math.max(h(), d.count > 0 ? 1 : 0)}
                    rx="2"
                    onClick={() => props.onSelect?.(d.month)}
                    style={{ cursor: props.onSelect ? 'pointer' : 'default' }}
                  >
                    <title>
                      {formatMonth(d.month)}: {plural(d.count, 'conversation')}
                    </title>
                  </rect>
                </g>
              );
            }}
          </For>
          <For each={labels()}>
            {(label) => (
              <text x={label.x} y={HEIGHT - 10}>
                {label.text}
              </text>
            )}
          </For>
        </svg>
      </div>
      <details>
        <summary>Show as a table</summary>
        <table class="data-table">
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col">Conversations</th>
            </tr>
          </thead>
          <tbody>
            <For each={months().filter((d) => d.count > 0)}>
              {(d) => (
                <tr>
                  <td>
                    <a href={`#/conversations?month=${d.month}`}>{formatMonth(d.month)}</a>
                  </td>
                  <td>{formatNumber(d.count)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </details>
    </figure>
  );
}
