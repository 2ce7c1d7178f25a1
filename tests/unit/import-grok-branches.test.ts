import { describe, expect, it } from 'vitest';
import { grokAdapter } from '../../shared/import/providers/grok';
import { counts, runJson } from './import-providers-harness';

const response = (id: string, parent: string | null, sender: string, message: string, ms: number): unknown => ({
  response: { _id: id, parent_response_id: parent, sender, message, create_time: { $date: { $numberLong: String(ms) } } },
});

describe('Grok branches', () => {
  it('follows leaf_response_id even when another branch is newer', () => {
    const document = {
      conversations: [
        {
          conversation: { id: 'c', title: 'Branches', create_time: '2026-01-01T00:00:00Z', leaf_response_id: 'a1' },
          responses: [response('u1', null, 'Human', 'Question', 1000), response('a1', 'u1', 'assistant', 'Chosen answer', 2000), response('a2', 'u1', 'GROK', 'Newer, abandoned', 3000)],
        },
      ],
    };
    const outcome = runJson(grokAdapter, document);
    expect(counts(outcome)).toEqual({ conversations: 1, active: 1, inactive: 1, skipped: {}, warnings: {} });
    const [active, inactive] = outcome.parsed[0]?.nodes ?? [];
    expect(active?.assistant?.text).toBe('Chosen answer');
    expect(inactive).toMatchObject({ active: false, branchId: 'a2', assistant: { text: 'Newer, abandoned' } });
  });

  it('skips a conversation entry without its parts and keeps the rest', () => {
    const outcome = runJson(grokAdapter, {
      conversations: [{ nope: true }, { conversation: { id: 'ok' }, responses: [response('u', null, 'human', 'Hi', 1)] }, { conversation: { id: 'empty' }, responses: [] }],
    });
    expect(counts(outcome)).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: { 'malformed-record': 1, 'no-messages': 1 }, warnings: {} });
  });
});
