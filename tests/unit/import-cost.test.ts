/**
 * Fuzzing that checks cost, not only crashes (issue 9, item 13): for generated hostile inputs, the importer's work
 * must grow linearly with the input. Each property builds an input at two sizes and compares their costs (see
 * tests/support/cost.ts: ratios, never absolute times); the zip property counts bytes read, which is exact.
 * Memory budgets for the worst shapes (comb trees, a 40 MB CSV field) are in import-hostile.test.ts.
 */
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { normaliseText } from '../../shared/import/identity';
import type { ParseContext } from '../../shared/import/provider';
import { parseChatgptConversation } from '../../shared/import/providers/chatgpt';
import { claudeAdapter } from '../../shared/import/providers/claude';
import { htmlToText } from '../../shared/import/providers/common/text';
import { copilotAdapter } from '../../shared/import/providers/copilot';
import { geminiHtmlAdapter } from '../../shared/import/providers/gemini-html';
import { costGrowth } from '../support/cost';
import { bytesSource, runImport } from '../support/import-helpers';

const quiet: ParseContext = { source: 'cost', skip: () => undefined, warn: () => undefined };

/** Linear code grows about `factor`-fold; this budget is three times that (quadratic code grows factor²-fold). */
const budget = (factor: number): number => 3 * factor;

// Pieces of markup that made backtracking regexes rescan the rest of the text: unclosed tags, links, comments,
// code blocks and scripts, stray `<`, quotes, entity starts, runs of spaces before text.
const HOSTILE_HTML = ["<a href=''>", '<a href="x">', '</a', '<', '<<', '<!--', '-->', '<pre>', '<pre', '<script>', '<style', '<b', '<br', '<h1', '<li>', '<ol>', '&amp', '&#x', "'", '"', ' \n', '   ', 'x', '>'];

/** A My Activity card with the hostile text in every place the Gemini HTML reader looks. */
function activityPage(hostile: string): string {
  return (
    `<div class="outer-cell"><div class="header-cell x">Gemini Apps ${hostile}</div>` +
    `<div class="content-cell mdl-typography--body-1">Prompted&nbsp;hi ${hostile}<br>${hostile}<br>Mar 10, 2026, 6:00:00 PM UTC<br>${hostile}</div>` +
    `<div class="content-cell mdl-typography--caption">Gemini Apps ${hostile}</div></div>`
  );
}

describe('cost grows linearly with the input', () => {
  it('pathological HTML: htmlToText and the Gemini activity page reader', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...HOSTILE_HTML), { minLength: 1, maxLength: 4 }), async (units) => {
        const unit = units.join('');
        const growth = await costGrowth((size) => unit.repeat(Math.ceil(size / unit.length)), htmlToText, 40_000, 8);
        expect(growth).toBeLessThan(budget(8));
        const page = await costGrowth((size) => activityPage(unit.repeat(Math.ceil(size / unit.length))), (text) => geminiHtmlAdapter.parseText?.(text, quiet), 20_000, 8);
        expect(page).toBeLessThan(budget(8));
      }),
      { numRuns: 8, seed: 9 },
    );
  });

  it('node identity: trimming spaces before line ends', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(' ', '\t', ' \n', '\n', 'x', '\u2028'), { minLength: 1, maxLength: 4 }), async (units) => {
        const unit = units.join('');
        // The trim runs when a line ends in a space; a long run of spaces followed by text was the quadratic case.
        const growth = await costGrowth((size) => ` \n${unit.repeat(Math.ceil(size / unit.length))}${' '.repeat(size)}x`, normaliseText, 50_000, 8);
        expect(growth).toBeLessThan(budget(8));
      }),
      { numRuns: 6, seed: 10 },
    );
  });

  // A tree shape: along a chain, how many leaves hang off each message, how many replies follow a prompt, and
  // which messages are empty, cycled to any size. Large and branchy, with forks inside exchanges.
  const shape = fc.record({
    leaves: fc.array(fc.nat(2), { minLength: 1, maxLength: 5 }),
    replies: fc.integer({ min: 1, max: 3 }),
    emptyEvery: fc.integer({ min: 0, max: 7 }),
  });
  type Shape = typeof shape extends fc.Arbitrary<infer S> ? S : never;

  interface Message {
    readonly id: string;
    readonly parent: string | null;
    readonly human: boolean;
    readonly text: string;
    readonly time: number;
  }

  function messagesOf(s: Shape, chain: number): Message[] {
    const out: Message[] = [];
    let parent: string | null = null;
    for (let i = 0; i < chain; i += 1) {
      const human = i % (s.replies + 1) === 0;
      const id = `c${i}`;
      out.push({ id, parent, human, text: s.emptyEvery > 0 && i % s.emptyEvery === 0 && i > 0 ? '' : `chain ${i}`, time: 2 * i + 1 });
      const leaves = s.leaves[i % s.leaves.length] ?? 0;
      for (let leaf = 0; leaf < leaves; leaf += 1) out.push({ id: `l${i}-${leaf}`, parent: id, human: leaf % 2 === 1 ? human : !human, text: `leaf ${i}.${leaf}`, time: 2 * i });
      parent = id;
    }
    return out;
  }

  function claudeConversation(messages: readonly Message[]): unknown {
    const list = messages.map((m) => ({ uuid: m.id, parent_message_uuid: m.parent ?? '00000000-0000-4000-8000-000000000000', sender: m.human ? 'human' : 'assistant', text: m.text, created_at: new Date(m.time * 1000).toISOString() }));
    return { uuid: 'c', name: 'shape', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', chat_messages: list };
  }

  function chatgptConversation(messages: readonly Message[]): unknown {
    const mapping: Record<string, unknown> = {};
    for (const m of messages) {
      mapping[m.id] = { id: m.id, parent: m.parent, children: [], message: { id: m.id, author: { role: m.human ? 'user' : 'assistant' }, content: { content_type: 'text', parts: [m.text] }, create_time: m.time, recipient: 'all', metadata: {} } };
    }
    return { id: 'g', title: 'shape', mapping };
  }

  // Chains of 4,000 messages against 32,000, the cheapest of 3 runs each: from 500, the small tree stayed in the
  // CPU's caches and a young heap, the large one did not, and linear code measured 8-27 times the cost for 8 times
  // the input on a 2-core VM (CI failed once at 25.0). From 2,000 it measured 5-19 (24 runs), and CI failed once
  // more at 29.0; from 4,000, 5.7-12.4 (24 runs, cheapest of 5) and 4.8-8.9 (24 runs, cheapest of 3, ~40 s).
  // Quadratic code would still cost 64 times as much.
  it('large and branchy trees: the Claude adapter and the ChatGPT adapter', async () => {
    await fc.assert(
      fc.asyncProperty(shape, async (s) => {
        const claude = await costGrowth(
          (size) => claudeConversation(messagesOf(s, size)),
          (value) => {
            const consumer = claudeAdapter.createJsonConsumer?.(quiet);
            consumer?.push({ path: '', index: 0, value, raw: '', inArray: true });
          },
          4_000,
          8,
          3,
        );
        expect(claude).toBeLessThan(budget(8));
        const chatgpt = await costGrowth((size) => chatgptConversation(messagesOf(s, size)), (value) => parseChatgptConversation(value, '', quiet), 4_000, 8, 3);
        expect(chatgpt).toBeLessThan(budget(8));
      }),
      { numRuns: 4, seed: 11 },
    );
  });

  it('CSV: quoted fields with doubled quotes and line breaks, and huge fields under the cap', async () => {
    const header = 'Conversation,Time,Author,Message\n';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('x', ',', '""', '\n', '\r\n', '\r', ' '), { maxLength: 6 }), fc.constantFrom('user', 'AI'), async (pieces, author) => {
        const row = `Chat,2026-01-01T10:00:00,${author},"${pieces.join('')}"\n`;
        const rows = await costGrowth(
          (size) => `${header}${row.repeat(size)}`,
          (text) => copilotAdapter.parseText?.(text, quiet),
          500,
          8,
        );
        expect(rows).toBeLessThan(budget(8));
        const field = await costGrowth((size) => `${header}Chat,2026-01-01T10:00:00,${author},"${`${pieces.join('')}y`.repeat(size)}"\n`, (text) => copilotAdapter.parseText?.(text, quiet), 20_000, 8);
        expect(field).toBeLessThan(budget(8));
      }),
      { numRuns: 6, seed: 12 },
    );
  });
});

describe('zip headers that lie about sizes', () => {
  /** A deflated bomb of `bytes` spaces in a JSON array; the local header's compressed size sits at offset 18. */
  const bomb = (bytes: number): Uint8Array => {
    const payload = new Uint8Array(bytes).fill(0x20);
    payload[0] = 0x5b;
    payload[bytes - 1] = 0x5d;
    return zipSync({ 'conversations.json': payload }, { level: 9 });
  };
  const small = bomb(4 * 1024 * 1024);
  const large = bomb(32 * 1024 * 1024);
  const limits = { zipRatioFloorBytes: 1024 * 1024, maxZipRatio: 100 };

  it('reads the same few bytes before stopping whatever size the header claims and however big the bomb is', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: large.length, max: 0x7fffffff }), fc.constantFrom(512, 1024, 4096), async (claimed, chunk) => {
        const read: number[] = [];
        for (const zip of [small, large]) {
          const lying = zip.slice();
          new DataView(lying.buffer).setUint32(18, claimed, true);
          const run = await runImport(bytesSource(lying, [chunk]), null, { limits });
          expect(run.report.error?.code).toBe('IMPORT_ZIP_BOMB');
          read.push(run.report.bytes);
        }
        // Stopped after about 1 MB inflated (~1 KB of deflated spaces) plus the slice being read: the same for both.
        expect(Math.max(...read)).toBeLessThanOrEqual(Math.min(...read) + 2 * 16 * 1024);
        expect(read[1]).toBeLessThan(large.length / 4);
      }),
      { numRuns: 6, seed: 13 },
    );
  });
});
