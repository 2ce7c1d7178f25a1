/**
 * Microsoft Copilot CSV from the privacy dashboard. Three header layouts are known:
 *   A `Conversation,Time,Author,Message`, B `ChatName,CreatedAt,Author,MessageContent`, C `Timestamp,ClientApp,Prompt`
 * (C, from the Windows app, holds prompts only). The file has no ids: conversations are keyed by their name (A, B;
 * two chats with the same name merge) or, for C, by client app with a 30-minute gap rule; synthesised ids come from
 * the name, or the first prompt's time and text, so a later export yields the same ids. Times without a zone are
 * read as UTC. Rows are ordered by time; at equal times the person's row goes before the reply (the export often
 * lists the reply first).
 */
import { AppError } from '../../errors';
import { conversationKey, emptyExtras } from '../../model';
import type { NodeDraft, ParseContext, ParsedConversation, ProviderAdapter } from '../provider';
import { fingerprint } from './common/stable-id';
import { cleanText, isBlank, titleFrom } from './common/text';
import { parseTime } from './common/time';
import type { Role } from './common/thread';
import { maxOf, minOf } from '../../arrays';

const GAP_MS = 30 * 60 * 1000;

const COLUMNS = {
  conversation: ['conversation', 'chatname', 'chat name', 'chat', 'thread'],
  time: ['time', 'createdat', 'created at', 'timestamp', 'date'],
  author: ['author', 'role', 'sender'],
  message: ['message', 'messagecontent', 'message content', 'content', 'text'],
  prompt: ['prompt'],
  app: ['clientapp', 'client app', 'app'],
} as const;

type Column = keyof typeof COLUMNS;

/** Longest field accepted: far beyond any chat message, small enough that a hostile file cannot exhaust memory. */
export const MAX_CSV_FIELD_CHARS = 4 * 1024 * 1024;

/** Line breaks (CRLF, LF or a lone CR) in text[from, to). */
function lineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = from; at < to; at += 1) {
    const c = text.charCodeAt(at);
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(at + 1) !== 0x0a)) count += 1;
  }
  return count;
}

function tooLarge(line: number): AppError {
  return new AppError('IMPORT_CSV_FIELD_TOO_LARGE', { detail: `the field starting on line ${line} is longer than ${MAX_CSV_FIELD_CHARS} characters` });
}

/**
 * RFC 4180 rows: quoted fields may hold commas, doubled quotes and line breaks. Fields are cut out of the text
 * in slices (adding one character at a time made a 40 MB field cost gigabytes). A quote that is never closed
 * would swallow the rest of the file, so it fails the file with its line number (IMPORT_CSV_UNCLOSED_QUOTE), as
 * does a field over MAX_CSV_FIELD_CHARS (IMPORT_CSV_FIELD_TOO_LARGE).
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  const delimiter = /[,\r\n]/g;
  let row: string[] = [];
  let line = 1;
  let at = 0;
  for (;;) {
    let field = '';
    if (text.charCodeAt(at) === 0x22) {
      const opened = line;
      const pieces: string[] = [];
      let size = 0;
      let from = at + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) throw new AppError('IMPORT_CSV_UNCLOSED_QUOTE', { detail: `the quote opened on line ${opened} is never closed` });
        size += quote - from;
        if (size > MAX_CSV_FIELD_CHARS) throw tooLarge(opened);
        pieces.push(text.slice(from, quote));
        line += lineBreaks(text, from, quote);
        if (text.charCodeAt(quote + 1) !== 0x22) {
          at = quote + 1;
          break;
        }
        // A doubled quote inside quotes is one quote character.
        pieces.push('"');
        size += 1;
        from = quote + 2;
      }
      field = pieces.join('');
    }
    // Anything after a closing quote, up to the delimiter, belongs to the same field (as it always did).
    delimiter.lastIndex = at;
    const match = delimiter.exec(text);
    const end = match === null ? text.length : match.index;
    if (field.length + end - at > MAX_CSV_FIELD_CHARS) throw tooLarge(line);
    if (end > at) field += text.slice(at, end);
    if (match === null) {
      if (field !== '' || row.length > 0) {
        row.push(field);
        rows.push(row);
      }
      break;
    }
    row.push(field);
    at = end + 1;
    if (match[0] === ',') continue;
    if (match[0] === '\r' && text.charCodeAt(at) === 0x0a) at += 1;
    line += 1;
    rows.push(row);
    row = [];
  }
  return rows.filter((cells) => cells.some((cell) => cell.trim() !== ''));
}

function columnIndexes(header: readonly string[]): Partial<Record<Column, number>> {
  const names = header.map((name) => name.trim().toLowerCase());
  const indexes: Partial<Record<Column, number>> = {};
  for (const column of Object.keys(COLUMNS) as Column[]) {
    const index = names.findIndex((name) => (COLUMNS[column] as readonly string[]).includes(name));
    if (index >= 0) indexes[column] = index;
  }
  return indexes;
}

function layoutOf(indexes: Partial<Record<Column, number>>): 'chat' | 'prompts' | undefined {
  if (indexes.time === undefined) return undefined;
  if (indexes.author !== undefined && indexes.message !== undefined) return 'chat';
  if (indexes.prompt !== undefined) return 'prompts';
  return undefined;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function detectText(head: string): number {
  const firstLine = stripBom(head).split(/\r?\n/, 1)[0] ?? '';
  let header: string[];
  try {
    header = parseCsv(firstLine)[0] ?? [];
  } catch {
    return 0; // a first line whose quote does not close on it is not one of the known headers
  }
  return layoutOf(columnIndexes(header)) ? 0.9 : 0;
}

const HUMAN_AUTHORS = new Set(['user', 'human', 'you', 'me']);
const ASSISTANT_AUTHORS = new Set(['ai', 'copilot', 'assistant', 'bot', 'bing']);

interface Row {
  readonly role: Role;
  readonly text: string;
  readonly time: number | null;
  readonly group: string;
  readonly line: number;
  readonly cells: readonly string[];
}

/** "1/2/2026 3:04:05 PM" (US dashboard style) besides ISO. */
function readTime(text: string): number | null | 'invalid' {
  const iso = parseTime(text.trim());
  if (iso !== 'invalid') return iso;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?$/i.exec(text.trim());
  if (!us) return 'invalid';
  const [, month, day, year, hour, minute, second, meridiem] = us;
  let hours = Number(hour) % (meridiem ? 12 : 24);
  if (meridiem?.toUpperCase() === 'PM') hours += 12;
  return Date.UTC(Number(year), Number(month) - 1, Number(day), hours, Number(minute), Number(second ?? 0));
}

function csvLine(cells: readonly string[]): string {
  return cells.map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join(',');
}

function parseText(text: string, ctx: ParseContext): ParsedConversation[] {
  const [header, ...body] = parseCsv(stripBom(text));
  const indexes = columnIndexes(header ?? []);
  const layout = layoutOf(indexes);
  if (!header || !layout) {
    ctx.skip('malformed-record', 'the CSV header is not a Copilot layout');
    return [];
  }
  const cell = (cells: readonly string[], column: Column): string => {
    const index = indexes[column];
    return index === undefined ? '' : (cells[index] ?? '');
  };
  const rows: Row[] = [];
  body.forEach((cells, index) => {
    const line = index + 2;
    let role: Role = 'human';
    if (layout === 'chat') {
      const author = cell(cells, 'author').trim().toLowerCase();
      if (HUMAN_AUTHORS.has(author)) role = 'human';
      else if (ASSISTANT_AUTHORS.has(author)) role = 'assistant';
      else {
        ctx.skip('malformed-record', `line ${line}: unknown author "${author}"`);
        return;
      }
    }
    const messageText = cleanText(cell(cells, layout === 'chat' ? 'message' : 'prompt'));
    if (isBlank(messageText)) {
      ctx.warn('empty-message', `line ${line} is empty`);
      return;
    }
    const time = readTime(cell(cells, 'time'));
    if (time === 'invalid') ctx.warn('bad-timestamp', `line ${line}: ${cell(cells, 'time')}`);
    const group = layout === 'chat' ? cell(cells, 'conversation').trim() : cell(cells, 'app').trim();
    rows.push({ role, text: messageText, time: time === 'invalid' ? null : time, group, line, cells });
  });
  // Rows without a time keep their place after the timed rows of their group.
  const ordered = [...rows].sort((a, b) => (a.time ?? Infinity) - (b.time ?? Infinity) || a.line - b.line);
  const groups = new Map<string, Row[]>();
  const lastTime = new Map<string, number>();
  const openKey = new Map<string, string>();
  for (const row of ordered) {
    let key: string;
    if (layout === 'chat') key = `chat-${fingerprint(row.group)}`;
    else {
      const previous = lastTime.get(row.group);
      const open = openKey.get(row.group);
      if (open === undefined || (row.time !== null && previous !== undefined && row.time - previous > GAP_MS)) {
        key = `t${row.time ?? 0}-${fingerprint(`${row.group}\n${row.text}`).slice(0, 8)}`;
        openKey.set(row.group, key);
      } else key = open;
      if (row.time !== null) lastTime.set(row.group, row.time);
    }
    const group = groups.get(key) ?? [];
    group.push(row);
    groups.set(key, group);
  }
  return [...groups.entries()].map(([key, group]) => conversationOf(key, promptsFirst(group), layout, csvLine(header), ctx));
}

/**
 * The export often lists a reply before its prompt when both carry the same second. A reply directly followed by
 * a prompt with the same time swaps with it, unless a prompt before it is already waiting for that reply.
 */
function promptsFirst(rows: readonly Row[]): Row[] {
  const ordered = [...rows];
  for (let i = 0; i + 1 < ordered.length; i++) {
    const reply = ordered[i];
    const prompt = ordered[i + 1];
    const before = ordered[i - 1];
    if (reply?.role === 'assistant' && prompt?.role === 'human' && reply.time === prompt.time && before?.role !== 'human') {
      ordered[i] = prompt;
      ordered[i + 1] = reply;
      i++;
    }
  }
  return ordered;
}

function conversationOf(providerConversationId: string, rows: readonly Row[], layout: 'chat' | 'prompts', headerLine: string, ctx: ParseContext): ParsedConversation {
  const id = conversationKey('copilot', providerConversationId);
  const nodes: NodeDraft[] = [];
  const open = (text: string, time: number | null): NodeDraft => ({
    kind: 'exchange',
    provider: 'copilot',
    conversationId: id,
    ordinal: nodes.length,
    active: true,
    branchId: null,
    human: { text, messageIds: [], createdAt: time, model: null },
    assistant: null,
    extras: emptyExtras(),
    attachments: [],
    createdAt: time,
  });
  for (const row of rows) {
    if (row.role === 'human') {
      nodes.push(open(row.text, row.time));
      continue;
    }
    let current = nodes[nodes.length - 1];
    if (current === undefined) {
      ctx.warn('orphan-reply', `line ${row.line}: a reply with no prompt before it`);
      current = { ...open('', null), createdAt: row.time };
      nodes.push(current);
    }
    // Several reply rows in a row are one reply.
    nodes[nodes.length - 1] = {
      ...current,
      assistant: current.assistant
        ? { ...current.assistant, text: `${current.assistant.text}\n\n${row.text}` }
        : { text: row.text, messageIds: [], createdAt: row.time, model: null },
    };
  }
  const first = rows[0];
  const times = rows.map((row) => row.time).filter((time) => time !== null);
  const name = layout === 'chat' ? first?.group : undefined;
  const firstPrompt = nodes.find((node) => node.human.text !== '')?.human.text ?? '';
  const prefix = layout === 'prompts' && first?.group ? `${first.group}: ` : '';
  return {
    conversation: {
      id,
      provider: 'copilot',
      providerConversationId,
      kind: 'chat',
      title: name || `${prefix}${titleFrom(firstPrompt)}` || 'Copilot conversation',
      createdAt: times.length > 0 ? minOf(times) : null,
      updatedAt: times.length > 0 ? maxOf(times) : null,
      model: null,
      messageCount: rows.length,
      raw: [headerLine, ...rows.map((row) => csvLine(row.cells))].join('\n'),
    },
    nodes,
  };
}

export const copilotAdapter: ProviderAdapter = {
  provider: 'copilot',
  detectText,
  parseText,
};
