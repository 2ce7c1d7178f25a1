import { For, Show, createMemo, type JSX } from 'solid-js';
import { formatMonth, formatNumber, plural } from '../format';
import type { MonthCount } from '../data';

/** Fills the months between the first and last with zero so gaps in someone's history show as gaps. */
export function fillMonths(data: readonly MonthCount[]): MonthCount[] {
  if (data.length === 0) return [];
  const counts = new Map(data.map((d) => [d.month, d.count]));
  const sorted = [...counts.keys()].sort();
  const parse = (m: string): [number, number] => {
    const [y, mo] = m.split('-').map(Number);
    return [y ?? 1970, mo ?? 1];
  };
  let [y, m] = parse(sorted[0] ?? '1970-01');
  const [endY, endM] = parse(sorted[sorted.length - 1] ?? '1970-01');
  const out: MonthCount[] = [];
  while (y < endY || (y === endY && m <= endM)) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    out.push({ month: key, count: counts.get(key) ?? 0 });
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

const BAR = 18;
const GAP = 4;
const HEIGHT = 200;
const PAD_TOP = 16;
const PAD_BOTTOM = 28;
const PAD_LEFT = 36;

/** Conversations per month as an SVG bar chart, with the same numbers in a table for screen readers. */
export default function TimelineChart(props: { data: readonly MonthCount[]; onSelect?: (month: string) => void }): JSX.Element {
  const months = createMemo(() => fillMonths(props.data));
  const max = createMemo(() => Math.max(1, ...months().map((d) => d.count)));
  const width = createMemo(() => PAD_LEFT + months().length * (BAR + GAP) + GAP);
  const plotHeight = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const total = createMemo(() => months().reduce((s, d) => s + d.count, 0));

  return (
    <figure class="timeline" style={{ margin: 0 }}>
      <div class="chart-scroll">
        <svg
          class="timeline-chart"
          role="img"
          aria-labelledby="timeline-title timeline-desc"
          viewBox={`0 0 ${width()} ${HEIGHT}`}
          style={{ 'min-width': `${Math.min(width(), 320)}px`, 'max-width': `${Math.max(width(), 480)}px` }}
        >
          <title id="timeline-title">Conversations per month</title>
          <desc id="timeline-desc">
            {plural(total(), 'conversation')} over {plural(months().length, 'month')}; the busiest month had {formatNumber(max())}.
          </desc>
          <line x1={PAD_LEFT} x2={width()} y1={HEIGHT - PAD_BOTTOM} y2={HEIGHT - PAD_BOTTOM} />
          <text x={PAD_LEFT - 6} y={PAD_TOP + 4} text-anchor="end">
            {formatNumber(max())}
          </text>
          <text x={PAD_LEFT - 6} y={HEIGHT - PAD_BOTTOM} text-anchor="end">
            0
          </text>
          <For each={months()}>
            {(d, i) => {
              const h = (): number => (d.count / max()) * plotHeight;
              const x = (): number => PAD_LEFT + GAP + i() * (BAR + GAP);
              return (
                <g>
                  <rect
                    class="bar"
                    x={x()}
                    y={HEIGHT - PAD_BOTTOM - h()}
                    width={BAR}
                    height={Math.max(h(), d.count > 0 ? 1 : 0)}
                    rx="2"
                    onClick={() => props.onSelect?.(d.month)}
                    style={{ cursor: props.onSelect ? 'pointer' : 'default' }}
                  >
                    <title>
                      {formatMonth(d.month)}: {plural(d.count, 'conversation')}
                    </title>
                  </rect>
                  <Show when={d.month.endsWith('-01') || i() === 0}>
                    <text x={x()} y={HEIGHT - 10}>
                      {d.month.slice(0, 4)}
                    </text>
                  </Show>
                </g>
              );
            }}
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
