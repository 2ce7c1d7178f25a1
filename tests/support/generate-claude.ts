/**
 * A realistic Claude export from a seeded random source: conversations.json with content blocks (text, thinking,
 * tool_use + tool_result, an unknown future block), attachments with extracted text, files, retried answers on
 * branches (parent_message_uuid with the root sentinel), one old-style conversation with only `text`, plus
 * projects.json with knowledge docs. `later` re-exports the account with new turns and one new conversation;
 * `expected` is counted while generating.
 */
import { pick, type ExpectedCounts } from './generate-common';

export interface GeneratedClaude {
  readonly earlier: unknown[];
  readonly later: unknown[];
  readonly projects: unknown[];
  readonly expected: {
    readonly earlier: ExpectedCounts;
    readonly later: ExpectedCounts;
    readonly newNodes: number;
    readonly unknownBlocks: { readonly earlier: number; readonly later: number };
  };
}

const ROOT = '00000000-0000-4000-8000-000000000000';
const PROMPTS = ['How do I reverse a list in Python?', 'Draft a polite reminder email.', 'Qu’est-ce qu’un monoïde ?', 'Review this SQL query for me.', 'Plan a 3-day trip to Kyoto.'];
const ANSWERS = ['Use `items[::-1]` or `items.reverse()` to do it in place.', 'Hi Sam, just a gentle reminder about Friday’s deadline.', 'Un monoïde est un ensemble muni d’une loi associative et d’un élément neutre.', 'Add an index on `orders(customer_id)`; the join scans the table.', 'Day 1: Fushimi Inari. Day 2: Arashiyama. Day 3: Gion.'];

function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

interface Turn {
  readonly prompt: string;
  readonly answer: string;
  readonly thinking: boolean;
  readonly tool: boolean;
  readonly unknownBlock: boolean;
  readonly attachment: boolean;
  readonly retried: string | null;
  readonly ids: readonly [string, string, string];
}

function plan(random: () => number, turns: number): Turn[] {
  return Array.from({ length: turns }, (_unused, index) => ({
    prompt: `${pick(random, PROMPTS)} #${index + 1}`,
    answer: pick(random, ANSWERS),
    thinking: random() < 0.4,
    tool: random() < 0.3,
    unknownBlock: random() < 0.15,
    attachment: random() < 0.2,
    retried: random() < 0.25 ? `An earlier try: ${pick(random, ANSWERS)}` : null,
    ids: [uuid(random), uuid(random), uuid(random)],
  }));
}

function renderConversation(id: string, start: number, turns: readonly Turn[], oldStyle: boolean): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  let parent = ROOT;
  let time = start;
  for (const turn of turns) {
    time += 120_000;
    const [humanId, answerId, retryId] = turn.ids;
    messages.push({
      uuid: humanId,
      ...(oldStyle ? {} : { parent_message_uuid: parent, content: [{ type: 'text', text: turn.prompt }] }),
      text: turn.prompt,
      sender: 'human',
      created_at: iso(time),
      updated_at: iso(time),
      attachments: turn.attachment ? [{ file_name: 'notes.txt', file_type: 'text/plain', file_size: 20, extracted_content: 'meeting notes: ship v2' }] : [],
      files: turn.attachment ? [{ file_name: 'diagram.png' }] : [],
    });
    if (turn.retried && !oldStyle) {
      messages.push({ uuid: retryId, parent_message_uuid: humanId, text: '', content: [{ type: 'text', text: turn.retried }], sender: 'assistant', created_at: iso(time + 10_000), updated_at: iso(time + 10_000), attachments: [], files: [] });
    }
    const content: unknown[] = [];
    if (turn.thinking) content.push({ type: 'thinking', thinking: 'The person wants a short, concrete answer.' });
    if (turn.tool) {
      content.push({ type: 'tool_use', id: `toolu_${answerId.slice(0, 8)}`, name: 'web_search', input: { query: turn.prompt } });
      content.push({ type: 'tool_result', tool_use_id: `toolu_${answerId.slice(0, 8)}`, name: 'web_search', content: [{ type: 'text', text: '3 results' }], is_error: false });
    }
    if (turn.unknownBlock) content.push({ type: 'flag_banner', text: 'New feature notice' });
    content.push({ type: 'text', text: turn.answer });
    content.push({ type: 'token_budget' });
    messages.push({
      uuid: answerId,
      ...(oldStyle ? {} : { parent_message_uuid: humanId, content }),
      text: oldStyle ? turn.answer : '',
      sender: 'assistant',
      created_at: iso(time + 60_000),
      updated_at: iso(time + 60_000),
      attachments: [],
      files: [],
    });
    parent = answerId;
  }
  return { uuid: id, name: turns[0]?.prompt.slice(0, 30) ?? '', summary: '', created_at: iso(start), updated_at: iso(time + 60_000), account: { uuid: 'acct-1' }, chat_messages: messages };
}

export function generateClaudeExport(random: () => number, options: { conversations: number; turns: number; newTurns: number }): GeneratedClaude {
  const base = Date.UTC(2025, 8, 1);
  // The first conversation is old-style (no content blocks, no parent links): no retries, no hidden parts.
  const convs = Array.from({ length: options.conversations + 1 }, (_unused, index) => ({
    id: uuid(random),
    start: base + index * 86_400_000,
    oldStyle: index === 0,
    turns: plan(random, options.turns + options.newTurns),
  }));
  const earlierConvs = convs.slice(0, options.conversations).map((conv) => ({ ...conv, turns: conv.turns.slice(0, options.turns) }));
  const count = (list: typeof convs): ExpectedCounts => ({
    conversations: list.length,
    active: list.reduce((sum, conv) => sum + conv.turns.length, 0),
    inactive: list.reduce((sum, conv) => sum + (conv.oldStyle ? 0 : conv.turns.filter((turn) => turn.retried).length), 0),
  });
  const unknownBlocks = (list: typeof convs): number => list.reduce((sum, conv) => sum + (conv.oldStyle ? 0 : conv.turns.filter((turn) => turn.unknownBlock).length), 0);
  const earlier = count(earlierConvs);
  const later = count(convs);
  const projects = [
    {
      uuid: uuid(random),
      name: 'Thesis',
      description: 'Writing my thesis',
      is_private: true,
      prompt_template: 'Answer in British English.',
      created_at: iso(base),
      updated_at: iso(base),
      docs: [
        { uuid: uuid(random), filename: 'outline.md', content: '# Outline\n1. Intro\n2. Method', created_at: iso(base) },
        { uuid: uuid(random), filename: 'sources.bib', content: '@book{knuth, title={TAOCP}}', created_at: iso(base) },
      ],
    },
  ];
  return {
    earlier: earlierConvs.map((conv) => renderConversation(conv.id, conv.start, conv.turns, conv.oldStyle)),
    later: convs.map((conv) => renderConversation(conv.id, conv.start, conv.turns, conv.oldStyle)),
    projects,
    expected: { earlier, later, newNodes: later.active + later.inactive - earlier.active - earlier.inactive, unknownBlocks: { earlier: unknownBlocks(earlierConvs), later: unknownBlocks(convs) } },
  };
}
