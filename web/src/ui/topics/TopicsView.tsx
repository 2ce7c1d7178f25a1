import { For, Show, createMemo, createResource, type JSX } from 'solid-js';
import { spreadBubbles } from '../../../../shared/embed/projection';
import { loadTopics, topicConversations, type Topic, type TopicSet } from '../../topics/topics';
import { vault } from '../data';
import { href, navigate } from '../router';
import { semanticStatus, startSemantic } from '../settings-embeddings/semantic';
import type { ViewProps } from '../views';
import { maxOf, minOf } from '../../../../shared/arrays';

const WIDTH = 640;
const HEIGHT = 420;
const PAD = 56;

function topicName(topic: Topic): string {
  return topic.terms.slice(0, 3).join(', ') || 'Misc';
}

/**
 * A bubble's accessible name starts with what it shows (its first term, then its size) so speech input can name it,
 * then the rest of the label.
 */
function bubbleName(topic: Topic): string {
  const rest = topic.terms.slice(1, 3).join(', ');
  return `${topic.terms[0] ?? 'Misc'} ${topic.size} exchanges${rest ? `, also ${rest}` : ''}`;
}

/** Stable, readable colours in light and dark mode (hue by topic id). */
function hue(id: number): number {
  return (id * 137.508) % 360;
}

interface Placed {
  readonly topic: Topic;
  readonly x: number;
  readonly y: number;
  readonly r: number;
}

function layout(set: TopicSet): Placed[] {
  const max = maxOf(set.topics.map((t) => t.size), 1);
  const bubbles = set.topics.map((t) => ({
    x: WIDTH / 2 + t.x * (WIDTH / 2 - PAD),
    y: HEIGHT / 2 + t.y * (HEIGHT / 2 - PAD),
    r: 14 + 46 * Math.sqrt(t.size / max),
  }));
  const spread = spreadBubbles(bubbles, 4);
  // Spreading can push bubbles past the edges: fit the centres back inside, keeping every circle whole.
  const R = maxOf(spread.map((b) => b.r));
  const fit = (values: number[], size: number): ((v: number) => number) => {
    const min = minOf(values);
    const max = maxOf(values);
    const lo = R + 6;
    const hi = size - R - 6;
    return max - min < 1e-9 ? () => size / 2 : (v) => lo + ((v - min) / (max - min)) * (hi - lo);
  };
  const fx = fit(spread.map((b) => b.x), WIDTH);
  const fy = fit(spread.map((b) => b.y), HEIGHT);
  return spreadBubbles(
    spread.map((b) => ({ x: fx(b.x), y: fy(b.y), r: b.r })),
    4,
  ).map((b, i) => ({ topic: set.topics[i]!, x: Math.min(WIDTH - b.r, Math.max(b.r, b.x)), y: Math.min(HEIGHT - b.r, Math.max(b.r, b.y)), r: b.r }));
}

/** Topics: a map of what the vault is about (bubble size = exchanges), and the conversations of the chosen topic. */
export default function TopicsView(props: ViewProps): JSX.Element {
  void startSemantic();
  const selected = (): number | null => {
    const t = props.route.params.get('t');
    return t === null || t === '' ? null : Number(t);
  };
  const [set] = createResource(
    () => semanticStatus()?.topicsVersion ?? -1,
    async () => loadTopics((await vault()).db),
  );
  const placed = createMemo(() => {
    const s = set();
    return s ? layout(s) : [];
  });
  const ranked = createMemo(() => [...(set()?.topics ?? [])].sort((a, b) => b.size - a.size));
  const total = (): number => ranked().reduce((n, t) => n + t.size, 0);
  const [conversations] = createResource(
    () => {
      const s = set();
      const id = selected();
      return s && id !== null ? { s, id } : null;
    },
    async ({ s, id }) => topicConversations((await vault()).db, s, id),
  );
  const choose = (id: number): void => navigate(href(['topics'], { t: String(id) }));
  const onKey = (e: KeyboardEvent, id: number): void => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      choose(id);
    }
  };
  const current = (): Topic | undefined => set()?.topics.find((t) => t.id === selected());

  return (
    <section class="page">
      <h1>Topics</h1>
      <Show
        when={ranked().length > 0}
        fallback={
          <div class="empty card" data-testid="topics-empty">
            <Show
              when={semanticStatus()?.phase === 'off' || !semanticStatus()}
              fallback={<p>Topics appear once your conversations are embedded ({semanticStatus()?.vectors ?? 0} so far).</p>}
            >
              <p>
                Topics group your conversations by meaning. Turn on embeddings in <a href="#/settings">Settings</a> to see them.
              </p>
            </Show>
          </div>
        }
      >
        <p class="muted">
          {ranked().length} topics across {total()} exchanges. Bigger bubbles hold more; nearby bubbles are about related things. Choose one to
          see its conversations.
        </p>
        <div class="card" style={{ padding: '0.5rem' }}>
          <svg class="topic-map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="group" aria-label="Map of topics" style={{ width: '100%', height: 'auto', display: 'block' }} data-testid="topic-map">
            <For each={placed()}>
              {(p) => (
                <g
                  role="button"
                  tabindex="0"
                  aria-label={bubbleName(p.topic)}
                  aria-pressed={selected() === p.topic.id}
                  onClick={() => choose(p.topic.id)}
                  onKeyDown={(e) => onKey(e, p.topic.id)}
                  style={{ cursor: 'pointer' }}
                  data-topic-id={p.topic.id}
                >
                  <circle
                    cx={p.x}
                    cy={p.y}
                    r={p.r}
                    fill={`hsl(${hue(p.topic.id)} 70% 60% / ${selected() === p.topic.id ? 0.95 : 0.55})`}
                    stroke={selected() === p.topic.id ? 'var(--text)' : `hsl(${hue(p.topic.id)} 60% 40%)`}
                    stroke-width={selected() === p.topic.id ? 3 : 1}
                  />
                  {/* One text element, so what is shown reads "term size", the start of the bubble's name. */}
                  <text class={p.r > 30 ? 'topic-term' : 'topic-term small'} x={p.x} y={p.y - (p.r > 30 ? 6 : 0)} text-anchor="middle" dominant-baseline="middle" fill="var(--text)">
                    {p.topic.terms[0] ?? 'Misc'}
                    <Show when={p.r > 30}>
                      <tspan class="topic-count" x={p.x} dy="18">
                        {` ${p.topic.size}`}
                      </tspan>
                    </Show>
                  </text>
                </g>
              )}
            </For>
          </svg>
        </div>
        <ul class="conv-list" aria-label="Topics by size" data-testid="topic-list">
          <For each={ranked()}>
            {(t) => (
              <li>
                <a href={href(['topics'], { t: String(t.id) })} aria-current={selected() === t.id ? 'true' : undefined}>
                  <span class="conv-title">{topicName(t)}</span>
                  <span class="conv-meta">
                    <span class="meter" aria-hidden="true" style={{ display: 'inline-block', width: `${Math.max(4, (t.size / (ranked()[0]?.size ?? 1)) * 120)}px`, height: '6px', background: `hsl(${hue(t.id)} 70% 55%)`, 'border-radius': '3px', 'margin-right': '0.5rem' }} />
                    {t.size} exchanges
                  </span>
                </a>
              </li>
            )}
          </For>
        </ul>
        <Show when={current()}>
          {(topic) => (
            <section class="card" aria-labelledby="topic-conversations" data-testid="topic-conversations">
              <h2 id="topic-conversations">{topicName(topic())}</h2>
              <p class="muted">Also: {topic().terms.slice(3).join(', ') || '—'}</p>
              <Show when={conversations()} fallback={<p class="loading">Loading…</p>}>
                {(list) => (
                  <ul class="conv-list">
                    <For each={list()}>
                      {(c) => (
                        <li>
                          <a href={href(['c', c.conversationId])}>
                            <span class="conv-title">{c.title}</span>
                            <span class="conv-meta">{c.count === 1 ? '1 exchange in this topic' : `${c.count} exchanges in this topic`}</span>
                          </a>
                        </li>
                      )}
                    </For>
                  </ul>
                )}
              </Show>
            </section>
          )}
        </Show>
        <div class="actions">
          <button type="button" class="button" onClick={() => void startSemantic().then((s) => s.rebuildTopics())}>
            Regroup topics now
          </button>
        </div>
      </Show>
    </section>
  );
}
