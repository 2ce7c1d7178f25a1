import { For, createMemo, createSignal, type JSX } from 'solid-js';
import { formatMonth, formatNumber, plural } from '../format';
import type { TimelineMonth } from '../../vault/conversations';
import { maxOf } from '../../../../shared/arrays';

type MonthCount = Pick<TimelineMonth, 'month' | 'count'>;

const WIDTH = 720;
const HEIGHT = 200;
const PAD_TOP = 16;
const PAD_BOTTOM = 28;
const PAD_LEFT = 56;
const PAD_RIGHT = 16;
/** Year labels closer than this (in chart units) to the previous one are left out. */
const LABEL_SPACING = 60;

/**
 * Conversations per month as an SVG bar chart, with the same numbers in a table for screen readers. Every month with
 * conversations is a link; the chart is one tab stop (roving focus): arrow keys, Home and End move between months,
 * Enter opens that month's conversations.
 */
export default function TimelineChart(props: { data: readonly MonthCount[]; onSelect?: (month: string) => void }): JSX.Element {
  // The timeline service already includes empty months, so gaps in someone's history show as gaps.
  const months = (): readonly MonthCount[] => props.data;
  const max = createMemo(() => maxOf(months().map((d) => d.count), 1));
  const slot = createMemo(() => (WIDTH - PAD_LEFT - PAD_RIGHT) / Math.max(months().length, 1));
  const bar = createMemo(() => Math.max(1, Math.min(40, slot() * 0.8)));
  const plotHeight = HEIGHT - PAD_TOP - PAD_BOTTOM;
  const total = createMemo(() => months().reduce((s, d) => s + d.count, 0));
  // The bar that takes the chart's tab stop: the latest month with conversations until the person moves.
  const [active, setActive] = createSignal(-1);
  const focusable = createMemo(() => months().flatMap((d, i) => (d.count > 0 ? [i] : [])));
  const activeIndex = (): number => (focusable().includes(active()) ? active() : (focusable()[focusable().length - 1] ?? -1));
  let svg: SVGSVGElement | undefined;
  const onKeyDown = (event: KeyboardEvent): void => {
    const stops = focusable();
    const at = stops.indexOf(activeIndex());
    if (stops.length === 0 || at < 0) return;
    const next = { ArrowLeft: at - 1, ArrowDown: at - 1, ArrowRight: at + 1, ArrowUp: at + 1, Home: 0, End: stops.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = stops[Math.max(0, Math.min(stops.length - 1, next))] ?? stops[at] ?? -1;
    setActive(target);
    svg?.querySelector<SVGAElement>(`a[data-index="${target}"]`)?.focus();
  };
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
          ref={svg}
          class="timeline-chart"
          role="group"
          aria-labelledby="timeline-title"
          aria-describedby="timeline-desc"
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          onKeyDown={onKeyDown}
        >
          <title id="timeline-title">Conversations per month</title>
          <desc id="timeline-desc">
            {plural(total(), 'conversation')} over {plural(months().length, 'month')}; the busiest month had {formatNumber(max())}.
          </desc>
          <line aria-hidden="true" x1={PAD_LEFT} x2={WIDTH - PAD_RIGHT} y1={HEIGHT - PAD_BOTTOM} y2={HEIGHT - PAD_BOTTOM} />
          <text aria-hidden="true" x={PAD_LEFT - 6} y={PAD_TOP + 4} text-anchor="end">
            {formatNumber(max())}
          </text>
          <text aria-hidden="true" x={PAD_LEFT - 6} y={HEIGHT - PAD_BOTTOM} text-anchor="end">
            0
          </text>
          <For each={months()}>
            {(d, i) => {
              const h = (): number => (d.count / max()) * plotHeight;
              const x = (): number => PAD_LEFT + i() * slot() + (slot() - bar()) / 2;
              const label = (): string => `${formatMonth(d.month)}: ${plural(d.count, 'conversation')}`;
              const rect = (): JSX.Element => (
                <rect class="bar" x={x()} y={HEIGHT - PAD_BOTTOM - h()} width={bar()} height={Math.max(h(), d.count > 0 ? 1 : 0)} rx="2">
                  <title>{label()}</title>
                </rect>
              );
              if (d.count === 0) return <g aria-hidden="true">{rect()}</g>;
              // Inside <g> so Solid makes an SVG <a> (a bare <a> in its own template would be an HTML element).
              return (
                <g>
                <a
                  href={`#/conversations?month=${d.month}`}
                  class="bar-link"
                  data-index={i()}
                  aria-label={label()}
                  tabindex={i() === activeIndex() ? 0 : -1}
                  onFocus={() => setActive(i())}
                  onClick={(event) => {
                    if (!props.onSelect) return;
                    event.preventDefault();
                    props.onSelect(d.month);
                  }}
                >
                  {rect()}
                </a>
                </g>
              );
            }}
          </For>
          <For each={labels()}>
            {(label) => (
              <text aria-hidden="true" x={label.x} y={HEIGHT - 10}>
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
