/**
 * A realistic Microsoft Copilot privacy-dashboard CSV from a seeded random source, in the three known header
 * layouts: A `Conversation,Time,Author,Message`, B `ChatName,CreatedAt,Author,MessageContent` (both with a UTF-8
 * BOM, CRLF lines, quoted fields holding commas, quotes and line breaks, and replies sometimes listed before their
 * prompt at the same second) and C `Timestamp,ClientApp,Prompt` (prompts only). `later` is a newer export holding
 * the earlier rows plus new ones; `expected` is counted while generating.
 */
import { pick, type ExpectedCounts } from './generate-common';

export type CopilotLayout = 'A' | 'B' | 'C';

export interface GeneratedCopilot {
  readonly earlier: string;
  readonly later: string;
  readonly expected: { readonly earlier: ExpectedCounts; readonly later: ExpectedCounts; readonly newNodes: number };
}

const HEADERS: Record<CopilotLayout, string> = {
  A: 'Conversation,Time,Author,Message',
  B: 'ChatName,CreatedAt,Author,MessageContent',
  C: 'Timestamp,ClientApp,Prompt',
};
const PROMPTS = ['Summarise this email, please', 'Write a "friendly" reply, short', 'Fix the formula =SUM(A1:A9)', 'Ideas for a team offsite?\nBudget is small'];
const ANSWERS = ['Here is a summary:\n- deadline moved, scope unchanged', 'Sure, "Thanks so much, see you Monday!"', 'Use =SUM(A1:A10), the range missed a row.', 'A picnic, an escape room, or a cooking class.'];

function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

interface Line {
  readonly time: number;
  readonly cells: readonly string[];
}

export function generateCopilotExport(random: () => number, options: { layout: CopilotLayout; chats: number; turns: number; newTurns: number }): GeneratedCopilot {
  const earlier: Line[] = [];
  const later: Line[] = [];
  let time = Date.UTC(2026, 1, 2, 8);
  for (let chat = 0; chat < options.chats; chat++) {
    const name = `${pick(random, ['Work', 'Trip, Lisbon', 'Budget "Q3"', 'Notes'])} ${chat + 1}`;
    const app = pick(random, ['Word', 'Outlook', 'Notepad']);
    for (let turn = 0; turn < options.turns + options.newTurns; turn++) {
      const target = turn < options.turns ? [earlier, later] : [later];
      const prompt = `${pick(random, PROMPTS)} (${chat}.${turn})`;
      const lines: Line[] =
        options.layout === 'C'
          ? [{ time, cells: [stamp(time), app, prompt] }]
          : (() => {
              const human: Line = { time, cells: [name, stamp(time), 'user', prompt] };
              // About a third of replies carry the prompt's second and come first in the file.
              const sameSecond = random() < 0.35;
              const replyTime = sameSecond ? time : time + 15_000;
              const reply: Line = { time: replyTime, cells: [name, stamp(replyTime), options.layout === 'A' ? 'AI' : 'Copilot', pick(random, ANSWERS)] };
              return sameSecond ? [reply, human] : [human, reply];
            })();
      for (const list of target) list.push(...lines);
      time += Math.floor(1 + random() * 5) * 60_000;
    }
    // Chats (and, for C, prompt sessions) are hours apart.
    time += 5 * 3_600_000;
  }
  const csv = (lines: readonly Line[]): string => `\ufeff${[HEADERS[options.layout], ...lines.map((line) => line.cells.map(field).join(','))].join('\r\n')}\r\n`;
  const count = (turns: number): ExpectedCounts => ({ conversations: options.chats, active: options.chats * turns, inactive: 0 });
  return {
    earlier: csv(earlier),
    later: csv(later),
    expected: { earlier: count(options.turns), later: count(options.turns + options.newTurns), newNodes: options.chats * options.newTurns },
  };
}
