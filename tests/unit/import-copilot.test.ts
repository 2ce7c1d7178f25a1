import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import { copilotAdapter, MAX_CSV_FIELD_CHARS, parseCsv } from '../../shared/import/providers/copilot';
import { counts, fixtureText, HAS_FIXTURES, NO_FIXTURES_REASON, runText } from './import-providers-harness';

const A = 'copilot/portable-ai-memory__python-sdk__copilot_formatA_Conversation-Time-Author-Message.csv';
const B = 'copilot/portable-ai-memory__python-sdk__copilot_formatB_ChatName-CreatedAt-Author-MessageContent.csv';
const C = 'copilot/portable-ai-memory__python-sdk__copilot_formatC_Timestamp-ClientApp-Prompt.csv';

const pairs = (text: string): [string, string | undefined][][] =>
  runText(copilotAdapter, text).parsed.map((parsed) => parsed.nodes.map((node) => [node.human.text, node.assistant?.text]));

describe.skipIf(!HAS_FIXTURES)(`Copilot CSV fixtures (${HAS_FIXTURES ? 'present' : NO_FIXTURES_REASON})`, () => {
  it('format A: two chats, the reply listed before its prompt is reordered', () => {
    const outcome = runText(copilotAdapter, fixtureText(A));
    expect(counts(outcome)).toEqual({ conversations: 2, active: 2, inactive: 0, skipped: {}, warnings: {} });
    expect(pairs(fixtureText(A))).toEqual([[['Hello', 'Hi there!']], [['Prompt', 'Response']]]);
    expect(outcome.parsed.map((parsed) => parsed.conversation.title)).toEqual(['Test Chat', 'Chat']);
    expect(outcome.parsed[0]?.conversation.createdAt).toBe(Date.UTC(2026, 0, 1, 10));
  });

  it('format B: one chat', () => {
    expect(counts(runText(copilotAdapter, fixtureText(B)))).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: {}, warnings: {} });
    expect(pairs(fixtureText(B))).toEqual([[['Query', 'Answer']]]);
  });

  it('format C: a prompt with no reply, titled by its app', () => {
    const outcome = runText(copilotAdapter, fixtureText(C));
    expect(counts(outcome)).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: {}, warnings: {} });
    expect(outcome.parsed[0]?.nodes[0]).toMatchObject({ human: { text: 'Summarize this text' }, assistant: null });
    expect(outcome.parsed[0]?.conversation.title).toBe('Notepad: Summarize this text');
  });

  it('detects all three layouts', () => {
    for (const file of [A, B, C]) expect(copilotAdapter.detectText?.(fixtureText(file))).toBeGreaterThan(0.8);
    expect(copilotAdapter.detectText?.('name,email\nx,y')).toBe(0);
  });
});

describe('Copilot CSV reading', () => {
  /** The code and detail parseCsv fails with, or null. */
  const csvFailure = (text: string): [string, string | undefined] | null => {
    try {
      parseCsv(text);
      return null;
    } catch (error) {
      return isAppError(error) ? [error.code, error.detail] : [String(error), undefined];
    }
  };

  it('names the line where a quote that never closes opens, counting the line breaks inside earlier quoted fields', () => {
    const text = 'Conversation,Time,Author,Message\r\nA,t,user,"two\nlines"\rA,t,AI,"open\nB,t,user,x\n';
    expect(csvFailure(text)).toEqual(['IMPORT_CSV_UNCLOSED_QUOTE', 'the quote opened on line 4 is never closed']);
  });

  it('refuses a field longer than the cap, quoted or not, and accepts one at the cap', () => {
    const at = 'x'.repeat(MAX_CSV_FIELD_CHARS);
    expect(parseCsv(`a,${at}\nb,"${at}"`).map((row) => row[1]?.length)).toEqual([MAX_CSV_FIELD_CHARS, MAX_CSV_FIELD_CHARS]);
    expect(csvFailure(`a\nb,${at}y`)).toEqual(['IMPORT_CSV_FIELD_TOO_LARGE', `the field starting on line 2 is longer than ${MAX_CSV_FIELD_CHARS} characters`]);
    expect(csvFailure(`a\nb,"${at}""x"`)?.[0]).toBe('IMPORT_CSV_FIELD_TOO_LARGE');
  });

  it('handles a BOM, CRLF and quoted fields holding commas, quotes and line breaks', () => {
    const text = '\ufeffConversation,Time,Author,Message\r\n"Plans, 2026",2026-02-01T08:00:00,user,"Line one\r\nline two, with ""quotes"""\r\n"Plans, 2026",2026-02-01T08:00:05,Copilot,Sure.\r\n';
    expect(copilotAdapter.detectText?.(text)).toBeGreaterThan(0.8);
    expect(pairs(text)).toEqual([[['Line one\nline two, with "quotes"', 'Sure.']]]);
    expect(parseCsv('a,"b\nc"\n')).toEqual([['a', 'b\nc']]);
  });

  it('keeps same-second exchanges in order and gives stable ids for a later export', () => {
    const t1 = 'ChatName,CreatedAt,Author,MessageContent\nX,2026-01-01T10:00:00,user,q1\nX,2026-01-01T10:00:00,Copilot,a1\nX,2026-01-01T10:00:00,user,q2\nX,2026-01-01T10:00:00,Copilot,a2\n';
    expect(pairs(t1)).toEqual([[['q1', 'a1'], ['q2', 'a2']]]);
    const t2 = `${t1}X,2026-01-03T10:00:00,user,q3\n`;
    expect(runText(copilotAdapter, t2).parsed[0]?.conversation.id).toBe(runText(copilotAdapter, t1).parsed[0]?.conversation.id);
  });

  it('splits prompt-only exports on a 30-minute gap', () => {
    const text = 'Timestamp,ClientApp,Prompt\n2026-01-01T10:00:00,Word,one\n2026-01-01T10:20:00,Word,two\n2026-01-01T11:00:00,Word,three\n';
    expect(pairs(text)).toEqual([[['one', undefined], ['two', undefined]], [['three', undefined]]]);
  });

  it('keeps a reply with no prompt (warned) and joins consecutive reply rows', () => {
    const text = 'Conversation,Time,Author,Message\nX,2026-01-01T09:00:00,AI,Welcome back\nX,2026-01-01T09:01:00,user,Hi\nX,2026-01-01T09:01:10,AI,Hello\nX,2026-01-01T09:01:20,AI,How can I help?\n';
    const outcome = runText(copilotAdapter, text);
    expect(counts(outcome)).toEqual({ conversations: 1, active: 2, inactive: 0, skipped: {}, warnings: { 'orphan-reply': 1 } });
    expect(pairs(text)).toEqual([[['', 'Welcome back'], ['Hi', 'Hello\n\nHow can I help?']]]);
  });
});
