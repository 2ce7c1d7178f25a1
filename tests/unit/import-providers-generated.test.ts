/**
 * Generated exports (tests/support/generate-*.ts, deterministic seeds) for every provider: exact counts through
 * the adapter alone, then through the real importer core (detection from content, ids, de-duplication): a later,
 * cumulative export adds exactly the new nodes, and the same file twice adds nothing.
 */
import { strToU8, zipSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/embed/random';
import { claudeAdapter } from '../../shared/import/providers/claude';
import { copilotAdapter } from '../../shared/import/providers/copilot';
import { deepseekAdapter } from '../../shared/import/providers/deepseek';
import { geminiAdapter } from '../../shared/import/providers/gemini';
import { geminiHtmlAdapter } from '../../shared/import/providers/gemini-html';
import { grokAdapter } from '../../shared/import/providers/grok';
import { generateClaudeExport } from '../support/generate-claude';
import { generateCopilotExport } from '../support/generate-copilot';
import { generateDeepseekExport } from '../support/generate-deepseek';
import { generateGeminiExport } from '../support/generate-gemini';
import { generateGrokExport } from '../support/generate-grok';
import { counts, importBytes, runJson, runText } from './import-providers-harness';

const sizes = { conversations: 6, turns: 4, newTurns: 2 };

async function cumulative(name: string, earlier: string, later: string, newNodes: number, provider: string): Promise<void> {
  const first = await importBytes(name, earlier);
  expect(first.report.status).toBe('complete');
  expect(first.report.provider).toBe(provider);
  const again = await importBytes(name, earlier, new Set(first.nodeIds));
  expect(again.report.nodes).toBe(0);
  expect(again.report.duplicates).toBe(first.report.nodes);
  const second = await importBytes(name, later, new Set(first.nodeIds));
  expect(second.report.status).toBe('complete');
  expect(second.report.nodes).toBe(newNodes);
  expect(second.report.duplicates).toBe(first.report.nodes);
}

describe('Claude, generated', () => {
  const generated = generateClaudeExport(seededRandom(11), sizes);

  it('imports with the counts it was generated with, warning about each unknown block', () => {
    const earlier = runJson(claudeAdapter, generated.earlier);
    expect(counts(earlier)).toEqual({ ...generated.expected.earlier, skipped: {}, warnings: generated.expected.unknownBlocks.earlier > 0 ? { 'unknown-block-type': generated.expected.unknownBlocks.earlier } : {} });
    expect(counts(runJson(claudeAdapter, generated.later))).toMatchObject(generated.expected.later);
    expect(generated.expected.earlier.inactive).toBeGreaterThan(0);
  });

  it('never drops a tool-use turn or leaks thinking into the text', () => {
    const nodes = runJson(claudeAdapter, generated.later).parsed.flatMap((parsed) => parsed.nodes);
    const withTools = nodes.filter((node) => node.extras.toolCalls.length > 0);
    expect(withTools.length).toBeGreaterThan(0);
    for (const node of withTools) expect(node.extras.toolCalls[0]).toMatchObject({ name: 'web_search', output: '3 results' });
    for (const node of nodes) expect(node.assistant?.text ?? '').not.toContain('The person wants');
  });

  it('turns project knowledge docs into document nodes', () => {
    const outcome = runJson(claudeAdapter, generated.projects);
    expect(outcome.parsed[0]?.conversation).toMatchObject({ kind: 'project', title: 'Thesis' });
    expect(outcome.parsed[0]?.nodes.map((node) => [node.kind, node.human.text])).toEqual([
      ['document', 'Project instructions'],
      ['document', 'outline.md'],
      ['document', 'sources.bib'],
    ]);
  });

  it('end to end: a later export adds exactly the new turns', async () => {
    await cumulative('conversations.json', JSON.stringify(generated.earlier), JSON.stringify(generated.later), generated.expected.newNodes, 'claude');
  });

  it('end to end: the export zip imports conversations, project docs and memories, and ignores users.json', async () => {
    const zip = zipSync({
      'users.json': strToU8(JSON.stringify([{ uuid: 'acct-1', full_name: 'Alex', email_address: 'alex@example.com', verified_phone_number: null }])),
      'conversations.json': strToU8(JSON.stringify(generated.earlier)),
      'projects.json': strToU8(JSON.stringify(generated.projects)),
      'memories.json': strToU8(JSON.stringify([{ conversations_memory: 'Likes short answers.', project_memories: {}, account_uuid: 'acct-1' }])),
    });
    const { report, conversations } = await importBytes('claude-export.zip', zip);
    expect(report.status).toBe('complete');
    expect(report.providers).toEqual(['claude']);
    expect(report.entries.map((entry) => [entry.name, entry.status])).toEqual(
      expect.arrayContaining([
        ['users.json', 'ignored'],
        ['conversations.json', 'imported'],
        ['projects.json', 'imported'],
        ['memories.json', 'imported'],
      ]),
    );
    const { earlier } = generated.expected;
    expect(report.conversations).toBe(earlier.conversations + 2);
    expect(report.nodes).toBe(earlier.active + earlier.inactive + 3 + 1);
    expect(conversations.map((conversation) => conversation.kind).sort()).toEqual([...Array<string>(earlier.conversations).fill('chat'), 'memories', 'project'].sort());
  });
});

describe('Grok, generated', () => {
  const generated = generateGrokExport(seededRandom(12), sizes);

  it('imports with the counts it was generated with', () => {
    expect(counts(runJson(grokAdapter, generated.earlier))).toEqual({ ...generated.expected.earlier, skipped: { 'unsupported-record': generated.expected.otherRecords }, warnings: {} });
    expect(counts(runJson(grokAdapter, generated.later))).toMatchObject(generated.expected.later);
  });

  it('end to end: a later export adds exactly the new turns', async () => {
    await cumulative('prod-grok-backend.json', JSON.stringify(generated.earlier), JSON.stringify(generated.later), generated.expected.newNodes, 'grok');
  });
});

describe('DeepSeek, generated', () => {
  const generated = generateDeepseekExport(seededRandom(13), sizes);

  it('imports with the counts it was generated with; the longest chain is active', () => {
    const outcome = runJson(deepseekAdapter, generated.earlier);
    expect(counts(outcome)).toEqual({ ...generated.expected.earlier, skipped: {}, warnings: {} });
    for (const parsed of outcome.parsed) {
      expect(parsed.nodes.filter((node) => node.active).map((node) => node.ordinal)).toEqual([0, 1, 2, 3]);
      for (const node of parsed.nodes.filter((candidate) => !candidate.active)) expect(node.assistant?.text).toMatch(/^First attempt: /);
    }
    const thinking = outcome.parsed.flatMap((parsed) => parsed.nodes).filter((node) => node.extras.thinking.length > 0);
    expect(thinking.length).toBeGreaterThan(0);
    for (const node of thinking) expect(node.assistant?.text).not.toContain('Let me check');
  });

  it('end to end: detected as DeepSeek (not ChatGPT) and a later export adds exactly the new turns', async () => {
    await cumulative('conversations.json', JSON.stringify(generated.earlier), JSON.stringify(generated.later), generated.expected.newNodes, 'deepseek');
  });
});

describe('Gemini, generated', () => {
  const generated = generateGeminiExport(seededRandom(14), { sessions: 6, promptsPerSession: 3, newSessions: 2 });

  it('JSON: rebuilds the sessions with the counts they were generated with', () => {
    const { skipped, ...expected } = generated.expected.earlier;
    const outcome = runJson(geminiAdapter, generated.earlier.json);
    expect(counts(outcome)).toMatchObject(expected);
    expect(Object.values(outcome.skipped).reduce((sum, value) => sum + value, 0)).toBe(skipped);
  });

  it('HTML: reads the same rows (first drafts only) with localised dates', () => {
    const json = runJson(geminiAdapter, generated.earlier.json);
    const html = runText(geminiHtmlAdapter, generated.earlier.html);
    expect(counts(html)).toMatchObject({ conversations: generated.expected.earlier.conversations, active: generated.expected.earlier.active, inactive: 0, warnings: { 'html-best-effort': 1 } });
    const shape = (outcome: typeof json): unknown =>
      outcome.parsed.map((parsed) => parsed.nodes.filter((node) => node.active).map((node) => [node.human.text, node.assistant?.text ?? null, node.createdAt]));
    expect(shape(html)).toEqual(shape(json));
    expect(geminiHtmlAdapter.detectText?.(generated.earlier.html.slice(0, 4096))).toBeGreaterThan(0.8);
  });

  it('end to end: a later Takeout adds exactly the new prompts (JSON and HTML)', async () => {
    await cumulative('My Activity.json', JSON.stringify(generated.earlier.json), JSON.stringify(generated.later.json), generated.expected.newNodes, 'gemini');
    const htmlNew = generated.expected.later.active - generated.expected.earlier.active;
    await cumulative('My Activity.html', generated.earlier.html, generated.later.html, htmlNew, 'gemini');
  });
});

describe('Copilot, generated', () => {
  for (const layout of ['A', 'B', 'C'] as const) {
    const generated = generateCopilotExport(seededRandom(15), { layout, chats: 4, turns: 3, newTurns: 2 });

    it(`layout ${layout}: counts as generated, prompts before replies`, () => {
      const outcome = runText(copilotAdapter, generated.earlier);
      expect(counts(outcome)).toEqual({ ...generated.expected.earlier, skipped: {}, warnings: {} });
      for (const node of outcome.parsed.flatMap((parsed) => parsed.nodes)) {
        expect(node.human.text).toMatch(/\(\d+\.\d+\)$/);
        if (layout === 'C') expect(node.assistant).toBeNull();
        else expect(node.assistant?.text).not.toMatch(/\(\d+\.\d+\)$/);
      }
    });

    it(`layout ${layout} end to end: a later export adds exactly the new turns`, async () => {
      await cumulative('Copilot-Activity.csv', generated.earlier, generated.later, generated.expected.newNodes, 'copilot');
    });
  }
});

describe('chunk boundaries', () => {
  const claude = generateClaudeExport(seededRandom(21), { conversations: 3, turns: 3, newTurns: 0 });
  const grok = generateGrokExport(seededRandom(22), { conversations: 3, turns: 3, newTurns: 0 });
  const deepseek = generateDeepseekExport(seededRandom(23), { conversations: 3, turns: 3, newTurns: 0 });
  const gemini = generateGeminiExport(seededRandom(24), { sessions: 3, promptsPerSession: 2, newSessions: 0 });
  const copilot = generateCopilotExport(seededRandom(25), { layout: 'A', chats: 2, turns: 3, newTurns: 0 });
  const files: [string, string][] = [
    ['conversations.json', JSON.stringify(claude.earlier)],
    ['prod-grok-backend.json', JSON.stringify(grok.earlier)],
    ['conversations.json', JSON.stringify(deepseek.earlier)],
    ['My Activity.json', JSON.stringify(gemini.earlier.json)],
    ['My Activity.html', gemini.earlier.html],
    ['Copilot.csv', copilot.earlier],
  ];

  it('give the same nodes however each provider file is split (multi-byte text included)', async () => {
    const baselines = await Promise.all(files.map(([name, text]) => importBytes(name, text, new Set(), [1 << 20])));
    for (const baseline of baselines) expect(baseline.nodeIds.length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        for (const [index, [name, text]] of files.entries()) {
          const split = await importBytes(name, text, new Set(), sizes);
          expect(split.nodeIds).toEqual(baselines[index]?.nodeIds);
        }
      }),
      { numRuns: 15, seed: 7 },
    );
  });
});
