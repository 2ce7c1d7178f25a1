/**
 * A realistic Grok account export (prod-grok-backend.json) from a seeded random source: nested
 * `{conversation, responses: [{response}]}` entries, `$date.$numberLong` and ISO times, "human"/"ASSISTANT"
 * senders, leaf_response_id with regenerated replies on other branches, thinking traces, citations and file
 * attachments, plus projects and media posts (not chats). `later` re-exports with new turns and one new
 * conversation; `expected` is counted while generating.
 */
import { countWithRegenerations, pick, type ExpectedCounts } from './generate-common';

export interface GeneratedGrok {
  readonly earlier: unknown;
  readonly later: unknown;
  readonly expected: { readonly earlier: ExpectedCounts; readonly later: ExpectedCounts; readonly newNodes: number; readonly otherRecords: number };
}

const PROMPTS = ['What happened at the last SpaceX launch?', 'Write a haiku about autumn', 'Wie funktioniert ein Transformer?', 'Compare Postgres and SQLite for a small app'];
const ANSWERS = ['The booster landed on the drone ship.', 'Leaves let go softly / the river carries their red / into the cold dusk', 'Ein Transformer gewichtet Tokens mit Aufmerksamkeit (Attention).', 'SQLite for one process and small data; Postgres for concurrent writers.'];

function hexId(random: () => number): string {
  return Array.from({ length: 24 }, () => Math.floor(random() * 16).toString(16)).join('');
}

interface Turn {
  readonly prompt: string;
  readonly answer: string;
  readonly thinking: boolean;
  readonly cited: boolean;
  readonly attachment: boolean;
  readonly regenerated: string | null;
  readonly ids: readonly [string, string, string];
}

function plan(random: () => number, turns: number): Turn[] {
  return Array.from({ length: turns }, (_unused, index) => ({
    prompt: `${pick(random, PROMPTS)} [${index + 1}]`,
    answer: pick(random, ANSWERS),
    thinking: random() < 0.4,
    cited: random() < 0.4,
    attachment: random() < 0.2,
    regenerated: random() < 0.3 ? `Draft: ${pick(random, ANSWERS)}` : null,
    ids: [hexId(random), hexId(random), hexId(random)],
  }));
}

const mongoDate = (ms: number): unknown => ({ $date: { $numberLong: String(ms) } });

function render(id: string, start: number, turns: readonly Turn[]): unknown {
  const responses: unknown[] = [];
  let parent: string | null = null;
  let time = start;
  for (const turn of turns) {
    time += 90_000;
    const [humanId, answerId, draftId] = turn.ids;
    responses.push({
      response: { _id: humanId, conversation_id: id, parent_response_id: parent, sender: 'human', message: turn.prompt, create_time: mongoDate(time), ...(turn.attachment ? { file_attachments: ['3f2a9c1e-asset'] } : {}) },
      share_link: null,
    });
    if (turn.regenerated) {
      responses.push({ response: { _id: draftId, conversation_id: id, parent_response_id: humanId, sender: 'ASSISTANT', message: turn.regenerated, model: 'grok-3', create_time: mongoDate(time + 5_000) }, share_link: null });
    }
    responses.push({
      response: {
        _id: answerId,
        conversation_id: id,
        parent_response_id: humanId,
        sender: 'ASSISTANT',
        message: turn.answer,
        model: 'grok-4',
        // Newer exports write plain ISO strings for some responses.
        create_time: turn.cited ? new Date(time + 20_000).toISOString() : mongoDate(time + 20_000),
        ...(turn.thinking ? { thinking_trace: 'Checking what the person asked for.' } : {}),
        ...(turn.cited ? { cited_web_search_results: [{ title: 'News', url: 'https://example.com/news', preview: '...' }] } : {}),
      },
      share_link: null,
    });
    parent = answerId;
  }
  return {
    conversation: { id, title: turns[0]?.prompt.slice(0, 24) ?? '', create_time: new Date(start).toISOString(), modify_time: new Date(time).toISOString(), leaf_response_id: parent, user_id: 'user-1', starred: false },
    responses,
  };
}

export function generateGrokExport(random: () => number, options: { conversations: number; turns: number; newTurns: number }): GeneratedGrok {
  const base = Date.UTC(2025, 10, 1);
  const convs = Array.from({ length: options.conversations + 1 }, (_unused, index) => ({
    id: `${hexId(random).slice(0, 8)}-conv-${index}`,
    start: base + index * 86_400_000,
    turns: plan(random, options.turns + options.newTurns),
  }));
  const earlierConvs = convs.slice(0, options.conversations).map((conv) => ({ ...conv, turns: conv.turns.slice(0, options.turns) }));
  const others = {
    projects: [{ workspace_id: 'ws-1', name: 'Reading list', custom_personality: 'Be brief', preferred_model: 'grok-4', conversation_starters: ['Hello'] }],
    media_posts: [{ id: 'post-1', original_prompt: 'A fox in the snow', media_type: 'image', create_time: new Date(base).toISOString(), link: 'https://grok.com/imagine/post/post-1' }],
    tasks: [],
  };
  const earlier = countWithRegenerations(earlierConvs);
  const later = countWithRegenerations(convs);
  return {
    earlier: { conversations: earlierConvs.map((conv) => render(conv.id, conv.start, conv.turns)), ...others },
    later: { conversations: convs.map((conv) => render(conv.id, conv.start, conv.turns)), ...others },
    expected: { earlier, later, newNodes: later.active + later.inactive - earlier.active - earlier.inactive, otherRecords: 2 },
  };
}
