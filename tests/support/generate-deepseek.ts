/**
 * A realistic DeepSeek export (conversations.json) from a seeded random source: mapping trees with a structural
 * root, REQUEST/THINK/SEARCH/RESPONSE fragments, +08:00 ISO times, regenerated answers left on shorter branches,
 * Chinese and English text and code. `later` is the same account exported again with new turns and one new
 * conversation, for cumulative-import tests; `expected` is counted while generating.
 */
import { countWithRegenerations, pick, type ExpectedCounts } from './generate-common';

export interface GeneratedDeepseek {
  readonly earlier: unknown[];
  readonly later: unknown[];
  readonly expected: { readonly earlier: ExpectedCounts; readonly later: ExpectedCounts; readonly newNodes: number };
}

const PROMPTS = [
  '用 Python 写一个读取 CSV 的函数',
  'Explain the difference between a mutex and a semaphore.',
  '帮我把这段话翻译成英文：今天天气很好。',
  'Why is my Rust build slow?',
  '给我讲讲量子纠缠',
  'Summarise the plot of Hamlet in three sentences.',
];
const ANSWERS = [
  '可以这样写：\n\n```python\nimport csv\n\ndef read(path):\n    with open(path, encoding="utf-8") as f:\n        return list(csv.DictReader(f))\n```',
  'A mutex is owned by one thread at a time; a semaphore counts permits and has no owner.',
  'The weather is lovely today.',
  'Incremental compilation is off in release builds; try `cargo build -j` and fewer generic instantiations.',
  '量子纠缠是指两个粒子的状态无法分别描述，只能作为整体描述。',
  'Hamlet learns his uncle murdered his father, feigns madness, and everyone dies in the final duel.',
];

function shanghaiIso(ms: number): string {
  return `${new Date(ms + 8 * 3600_000).toISOString().replace('Z', '').padEnd(23, '0')}000+08:00`;
}

interface Turn {
  readonly prompt: string;
  readonly answer: string;
  readonly think: string | null;
  readonly search: boolean;
  /** An earlier answer the person regenerated away (left on its own branch). */
  readonly regenerated: string | null;
}

function plan(random: () => number, turns: number): Turn[] {
  return Array.from({ length: turns }, (_unused, index) => ({
    prompt: `${pick(random, PROMPTS)} (${index + 1})`,
    answer: pick(random, ANSWERS),
    think: random() < 0.5 ? '用户想要一个简洁的回答。Let me check the details first.' : null,
    search: random() < 0.3,
    regenerated: random() < 0.25 ? `First attempt: ${pick(random, ANSWERS)}` : null,
  }));
}

function render(id: string, title: string, start: number, turns: readonly Turn[]): Record<string, unknown> {
  const mapping: Record<string, { id: string; parent: string | null; children: string[]; message: unknown }> = {
    root: { id: 'root', parent: null, children: [], message: null },
  };
  let next = 1;
  let time = start;
  const add = (parent: string, message: unknown): string => {
    const nodeId = String(next++);
    mapping[nodeId] = { id: nodeId, parent, children: [], message };
    mapping[parent]?.children.push(nodeId);
    return nodeId;
  };
  let tip = 'root';
  for (const turn of turns) {
    time += 60_000;
    tip = add(tip, { files: [], model: 'deepseek-chat', inserted_at: shanghaiIso(time), fragments: [{ type: 'REQUEST', content: turn.prompt }] });
    if (turn.regenerated) {
      add(tip, { files: [], model: 'deepseek-chat', inserted_at: shanghaiIso(time + 5_000), fragments: [{ type: 'RESPONSE', content: turn.regenerated }] });
    }
    time += 30_000;
    const fragments: unknown[] = [];
    if (turn.think) fragments.push({ type: 'THINK', content: turn.think, elapsed_secs: 3.2 });
    if (turn.search) fragments.push({ type: 'SEARCH', results: [{ url: 'https://example.org/ref', title: 'Reference', snippet: '...', cite_index: 1 }] });
    fragments.push({ type: 'RESPONSE', content: turn.answer });
    tip = add(tip, { files: [], model: turn.think ? 'deepseek-reasoner' : 'deepseek-chat', inserted_at: shanghaiIso(time), fragments });
  }
  return { id, title, inserted_at: shanghaiIso(start), updated_at: shanghaiIso(time), mapping };
}

export function generateDeepseekExport(random: () => number, options: { conversations: number; turns: number; newTurns: number }): GeneratedDeepseek {
  const base = Date.UTC(2025, 4, 1);
  const convs = Array.from({ length: options.conversations + 1 }, (_unused, index) => ({
    id: `${Math.floor(random() * 0xffffffff).toString(16).padStart(8, '0')}-ds-${index}`,
    title: pick(random, ['学习笔记', 'Rust questions', '翻译', 'Physics']),
    start: base + index * 86_400_000,
    turns: plan(random, options.turns + options.newTurns),
  }));
  const earlierConvs = convs.slice(0, options.conversations).map((conv) => ({ ...conv, turns: conv.turns.slice(0, options.turns) }));
  const earlier = countWithRegenerations(earlierConvs);
  const later = countWithRegenerations(convs);
  return {
    earlier: earlierConvs.map((conv) => render(conv.id, conv.title, conv.start, conv.turns)),
    later: convs.map((conv) => render(conv.id, conv.title, conv.start, conv.turns)),
    expected: { earlier, later, newNodes: later.active + later.inactive - earlier.active - earlier.inactive },
  };
}
