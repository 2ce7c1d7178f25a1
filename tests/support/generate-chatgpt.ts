/**
 * Deterministic generator of ChatGPT-shaped exports (conversations.json) for tests and benchmarks: branches
 * (regenerations and edits), multimodal parts, tool calls with outputs, thoughts, long code blocks, non-ASCII text
 * (accents, CJK, RTL, emoji) and the metadata noise real exports carry.
 *
 * Every turn's content depends only on (seed, conversation index, turn index), so `conversation(seed, i, turns)` with
 * more turns is the same conversation continued: that gives an "export at T1" and a cumulative "export at T2".
 * `writeExport` streams a file of a chosen size without holding it in memory.
 */
import { once } from 'node:events';
import { appendFileSync, createWriteStream, statSync, truncateSync } from 'node:fs';
import { seededRandom } from '../../shared/embed/random';

function mix(...values: number[]): number {
  let h = 2166136261;
  for (const value of values) {
    h ^= value >>> 0;
    h = Math.imul(h, 16777619);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

const WORDS = [
  'the', 'index', 'query', 'vault', 'memory', 'export', 'stream', 'record', 'because', 'should', 'would', 'schema',
  'café', 'naïve', 'Größe', 'façade', 'résumé', 'niño', '東京', '日本語の文章', '中文测试', '한국어', 'مرحبا', 'بالعالم',
  'שלום', 'עולם', 'Привет', 'мир', '🚀', '🙂', '👩‍💻', '"quoted"', 'back\\slash', 'tab\there', 'line\nbreak', '{json}',
  '[array]', 'x < y && y > z', 'résultat', 'données', 'über', 'straße', '🎉🎉', 'ümlaut', 'emoji👍🏽', 'zero\u200bwidth',
];

function sentence(rng: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i += 1) out.push(WORDS[Math.floor(rng() * WORDS.length)] as string);
  return `${out.join(' ')}.`;
}

function paragraph(rng: () => number, sentences: number): string {
  const out: string[] = [];
  for (let i = 0; i < sentences; i += 1) out.push(sentence(rng, 6 + Math.floor(rng() * 14)));
  return out.join(' ');
}

function codeBlock(rng: () => number, lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i += 1) {
    out.push(`  const value${i} = compute("${WORDS[Math.floor(rng() * WORDS.length)] ?? ''}", ${Math.floor(rng() * 1000)}); // step ${i}`);
  }
  return `function generated() {\n${out.join('\n')}\n  return true;\n}`;
}

type Json = Record<string, unknown>;

interface Msg {
  readonly id: string;
  readonly role: 'user' | 'assistant' | 'tool' | 'system';
  readonly content: Json;
  readonly time: number;
  readonly recipient?: string;
  readonly name?: string;
  readonly hidden?: boolean;
}

function message(m: Msg): Json {
  return {
    id: m.id,
    author: { role: m.role, name: m.name ?? null, metadata: {} },
    create_time: m.time,
    update_time: null,
    content: m.content,
    status: 'finished_successfully',
    end_turn: m.role === 'assistant' ? true : null,
    weight: 1.0,
    metadata: {
      ...(m.role === 'assistant' ? { model_slug: 'gpt-4o', finish_details: { type: 'stop', stop_tokens: [200002] } } : {}),
      ...(m.hidden ? { is_visually_hidden_from_conversation: true } : {}),
      request_id: `req-${m.id}`,
      message_type: 'next',
      timestamp_: 'absolute',
    },
    recipient: m.recipient ?? 'all',
    channel: null,
  };
}

/** The messages of one turn (a user message and what answers it); `variant` > 0 gives a regenerated answer. */
function turnMessages(seed: number, conv: number, turn: number, base: number, variant = 0): { user: Msg; replies: Msg[] } {
  const rng = seededRandom(mix(seed, conv, turn, variant));
  const time = base + turn * 60;
  const id = (suffix: string) => `c${conv}-t${turn}-v${variant}-${suffix}`;
  const userText = paragraph(rng, 1 + Math.floor(rng() * 3));
  const multimodal = rng() < 0.15;
  const user: Msg = {
    id: id('u'),
    role: 'user',
    time,
    content: multimodal
      ? { content_type: 'multimodal_text', parts: [{ content_type: 'image_asset_pointer', asset_pointer: `file-service://file-${conv}-${turn}`, size_bytes: 1234, width: 640, height: 480 }, userText] }
      : { content_type: 'text', parts: [userText] },
  };
  const replies: Msg[] = [];
  const shape = rng();
  if (shape < 0.15) {
    replies.push({ id: id('call'), role: 'assistant', time: time + 1, recipient: 'python', content: { content_type: 'code', language: 'unknown', text: codeBlock(rng, 5 + Math.floor(rng() * 20)) } });
    replies.push({ id: id('out'), role: 'tool', name: 'python', time: time + 2, content: { content_type: 'execution_output', text: paragraph(rng, 1) } });
  } else if (shape < 0.25) {
    replies.push({ id: id('think'), role: 'assistant', time: time + 1, content: { content_type: 'thoughts', thoughts: [{ summary: sentence(rng, 5), content: paragraph(rng, 3) }], source_analysis_msg_id: id('x') } });
  }
  const withCode = rng() < 0.3;
  const answer = withCode ? `${paragraph(rng, 2)}\n\n\`\`\`ts\n${codeBlock(rng, 20 + Math.floor(rng() * 80))}\n\`\`\`\n\n${paragraph(rng, 1)}` : paragraph(rng, 2 + Math.floor(rng() * 8));
  replies.push({ id: id('a'), role: 'assistant', time: time + 3, content: { content_type: 'text', parts: [answer] } });
  return { user, replies };
}

/** Turns with a regenerated (abandoned) answer: deterministic per (seed, conv, turn). */
function hasRegeneration(seed: number, conv: number, turn: number): boolean {
  return seededRandom(mix(seed, conv, turn, 999))() < 0.1;
}

export interface GeneratedConversation {
  readonly value: Json;
  /** Exchanges on the active thread and on abandoned branches. */
  readonly activeNodes: number;
  readonly inactiveNodes: number;
}

/** One conversation with `turns` turns; more turns = the same conversation continued. */
export function conversation(seed: number, index: number, turns: number): GeneratedConversation {
  const base = 1_700_000_000 + index * 3600;
  const mapping: Record<string, Json> = {};
  const add = (key: string, parent: string | null, msg: Json | null) => {
    mapping[key] = { id: key, message: msg, parent, children: [] };
    if (parent !== null) ((mapping[parent] as Json)['children'] as string[]).push(key);
  };
  add(`c${index}-root`, null, null);
  add(`c${index}-sys`, `c${index}-root`, message({ id: `c${index}-sys`, role: 'system', time: base, hidden: true, content: { content_type: 'text', parts: [''] } }));
  let parent = `c${index}-sys`;
  let inactive = 0;
  for (let turn = 0; turn < turns; turn += 1) {
    const { user, replies } = turnMessages(seed, index, turn, base);
    add(user.id, parent, message(user));
    if (hasRegeneration(seed, index, turn)) {
      // An abandoned answer: a sibling branch under the same user message.
      const old = turnMessages(seed, index, turn, base, 1).replies;
      let branchParent = user.id;
      for (const reply of old) {
        add(reply.id, branchParent, message(reply));
        branchParent = reply.id;
      }
      inactive += 1;
    }
    parent = user.id;
    for (const reply of replies) {
      add(reply.id, parent, message(reply));
      parent = reply.id;
    }
  }
  const value: Json = {
    title: `Conversation ${index}: ${sentence(seededRandom(mix(seed, index)), 4)}`,
    create_time: base,
    update_time: base + turns * 60,
    mapping,
    moderation_results: [],
    current_node: parent,
    plugin_ids: null,
    conversation_id: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
    conversation_template_id: null,
    gizmo_id: null,
    is_archived: false,
    safe_urls: [],
    default_model_slug: 'gpt-4o',
    id: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
  };
  return { value, activeNodes: turns, inactiveNodes: inactive };
}

function turnsFor(seed: number, index: number): number {
  return 2 + Math.floor(seededRandom(mix(seed, index, 7))() * 30);
}

export interface GeneratedExport {
  readonly json: string;
  readonly conversations: number;
  readonly activeNodes: number;
  readonly inactiveNodes: number;
}

/**
 * A small in-memory export. `grow` gives the cumulative later export: every conversation continued by `grow` turns,
 * plus `extraConversations` new ones.
 */
export function generateExport(options: { seed: number; conversations: number; grow?: number; extraConversations?: number }): GeneratedExport {
  const values: Json[] = [];
  let activeNodes = 0;
  let inactiveNodes = 0;
  const total = options.conversations + (options.extraConversations ?? 0);
  for (let index = 0; index < total; index += 1) {
    const generated = conversation(options.seed, index, turnsFor(options.seed, index) + (options.grow ?? 0));
    values.push(generated.value);
    activeNodes += generated.activeNodes;
    inactiveNodes += generated.inactiveNodes;
  }
  return { json: JSON.stringify(values), conversations: total, activeNodes, inactiveNodes };
}

/**
 * Streams an export of at least `targetBytes` to `path` (or, with `targetNodes`, of at least that many exchanges,
 * whichever comes first); never holds more than one conversation in memory.
 */
export async function writeExport(path: string, targetBytes: number, seed = 1, targetNodes = Number.POSITIVE_INFINITY): Promise<{ bytes: number; conversations: number; nodes: number }> {
  const out = createWriteStream(path);
  let bytes = 0;
  let conversations = 0;
  let nodes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('[');
  while (bytes < targetBytes && nodes < targetNodes) {
    const generated = conversation(seed, conversations, turnsFor(seed, conversations));
    await write(`${conversations === 0 ? '' : ',\n'}${JSON.stringify(generated.value)}`);
    conversations += 1;
    nodes += generated.activeNodes + generated.inactiveNodes;
  }
  await write(']\n');
  out.end();
  await once(out, 'finish');
  return { bytes, conversations, nodes };
}

/** Adds one conversation at the end of an export that writeExport wrote (its last two bytes are "]\n"). */
export function appendConversationToExport(path: string, value: Json): void {
  truncateSync(path, statSync(path).size - 2);
  appendFileSync(path, `,\n${JSON.stringify(value)}]\n`);
}

/** One ChatGPT conversation of a single exchange, as the export's conversations.json holds it (specs that need known words). */
export function oneExchangeConversation(id: string, title: string, question: string, answer: string, at: number): Json {
  return {
    id,
    conversation_id: id,
    title,
    create_time: at,
    update_time: at + 60,
    current_node: `${id}-a`,
    mapping: {
      [`${id}-root`]: { id: `${id}-root`, message: null, parent: null, children: [`${id}-q`] },
      [`${id}-q`]: { id: `${id}-q`, parent: `${id}-root`, children: [`${id}-a`], message: { id: `${id}-q`, author: { role: 'user' }, create_time: at, content: { content_type: 'text', parts: [question] } } },
      [`${id}-a`]: { id: `${id}-a`, parent: `${id}-q`, children: [], message: { id: `${id}-a`, author: { role: 'assistant' }, create_time: at + 30, content: { content_type: 'text', parts: [answer] } } },
    },
  };
}
