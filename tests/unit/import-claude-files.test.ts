/** Claude's other files: projects.json, memories.json (array and split-object forms), users.json. */
import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../../shared/import/providers/claude';
import { counts, detect, importBytes, runJson } from './import-providers-harness';

describe('Claude files besides conversations.json', () => {
  it('gathers memories into one memories conversation (array form)', () => {
    const document = [{ conversations_memory: '**Work**: writes Rust.', project_memories: { 'proj-1': 'Uses hexagonal architecture.' }, account_uuid: 'acct' }];
    expect(detect(claudeAdapter, document)).toBeGreaterThan(0.8);
    const outcome = runJson(claudeAdapter, document);
    expect(counts(outcome)).toEqual({ conversations: 1, active: 2, inactive: 0, skipped: {}, warnings: {} });
    expect(outcome.parsed[0]?.conversation).toMatchObject({ kind: 'memories', providerConversationId: 'memories' });
    expect(outcome.parsed[0]?.nodes.map((node) => [node.kind, node.human.text, node.assistant?.text])).toEqual([
      ['memory', 'Memory', '**Work**: writes Rust.'],
      ['memory', 'Project memory proj-1', 'Uses hexagonal architecture.'],
    ]);
  });

  it('reads the split-export memories object', () => {
    const document = { conversations_memory: 'Prefers concise answers.', project_memories: {}, memory_files: [] };
    expect(detect(claudeAdapter, document)).toBeGreaterThan(0.8);
    expect(counts(runJson(claudeAdapter, document))).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: {}, warnings: {} });
  });

  it('does not claim users.json and skips an account record met inside a claimed file', () => {
    const users = [{ uuid: 'u', full_name: 'Alex', email_address: 'a@example.com', verified_phone_number: null }];
    expect(detect(claudeAdapter, users)).toBe(0);
    expect(counts(runJson(claudeAdapter, users))).toMatchObject({ conversations: 0, skipped: { 'unsupported-record': 1 } });
  });

  it('skips a project with nothing in it and warns about an empty document', () => {
    const outcome = runJson(claudeAdapter, [
      { uuid: 'p1', name: 'Empty', docs: [] },
      { uuid: 'p2', name: 'Docs', docs: [{ uuid: 'd1', filename: 'a.md', content: '# A' }, { uuid: 'd2', filename: 'b.md', content: '  ' }] },
    ]);
    expect(counts(outcome)).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: { 'empty-conversation': 1 }, warnings: { 'empty-message': 1 } });
  });

  it('reads every known content block and keeps the text of an unknown one', () => {
    const outcome = runJson(claudeAdapter, [
      {
        uuid: 'c1',
        name: 'Blocks',
        created_at: '2026-01-01T00:00:00Z',
        chat_messages: [
          { uuid: 'h', sender: 'human', parent_message_uuid: '00000000-0000-4000-8000-000000000000', content: [{ type: 'voice_note', title: 'Note', text: 'Spoken question' }] },
          {
            uuid: 'a',
            sender: 'assistant',
            parent_message_uuid: 'h',
            content: [
              { type: 'injected_prompt_block', text: 'Style: concise' },
              { type: 'token_budget' },
              { type: 'tool_use', id: 't1', name: 'search', input: { q: 'x' } },
              { type: 'tool_use', id: 't2', name: 'fetch', input: 'https://e.org' },
              { type: 'tool_result', tool_use_id: 't2', content: 'page body' },
              { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'hits' }] },
              { type: 'future_widget', text: 'Widget text' },
              { type: 'text', text: 'Answer', citations: [{ url: 'https://e.org', title: 'E' }] },
            ],
          },
        ],
      },
    ]);
    expect(counts(outcome)).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: {}, warnings: { 'unknown-block-type': 1 } });
    const node = outcome.parsed[0]?.nodes[0];
    expect(node?.human.text).toBe('Spoken question');
    expect(node?.assistant?.text).toBe('Widget text\n\nAnswer');
    expect(node?.extras).toMatchObject({
      system: ['Style: concise'],
      citations: ['E https://e.org'],
      toolCalls: [
        { name: 'search', input: '{"q":"x"}', output: 'hits' },
        { name: 'fetch', input: 'https://e.org', output: 'page body' },
      ],
    });
  });

  it('reads the single-object files of a split export (one project, one conversation) end to end', async () => {
    const project = { uuid: 'p9', name: 'Garden', description: '', is_private: true, prompt_template: '', created_at: '2026-09-01T00:00:00Z', docs: [{ uuid: 'd9', filename: 'beds.md', content: 'Tomatoes in bed 2.' }] };
    const projectImport = await importBytes('p9.json', JSON.stringify(project));
    expect(projectImport.report).toMatchObject({ status: 'complete', provider: 'claude', conversations: 1, nodes: 1 });
    expect(projectImport.nodes[0]).toMatchObject({ kind: 'document', human: { text: 'beds.md' }, assistant: { text: 'Tomatoes in bed 2.' } });
    const conversation = {
      uuid: 'c9',
      name: 'Single',
      created_at: '2026-09-01T00:00:00Z',
      chat_messages: [
        { uuid: 'h', sender: 'human', text: 'Hello', created_at: '2026-09-01T00:00:00Z' },
        { uuid: 'a', sender: 'assistant', text: 'Hi!', created_at: '2026-09-01T00:00:01Z' },
      ],
    };
    const conversationImport = await importBytes('c9.json', JSON.stringify(conversation));
    expect(conversationImport.report).toMatchObject({ status: 'complete', provider: 'claude', conversations: 1, nodes: 1 });
    expect(conversationImport.conversations[0]).toMatchObject({ id: 'claude:c9', title: 'Single' });
  });

  it('falls back to the plain text when the content blocks carry none', () => {
    const outcome = runJson(claudeAdapter, [
      {
        uuid: 'c2',
        name: 'Image only',
        chat_messages: [
          { uuid: 'h', sender: 'human', text: 'What is in this picture?', content: [{ type: 'image', source: { type: 'base64' } }] },
          { uuid: 'a', sender: 'assistant', text: 'A cat.', content: [{ type: 'text', text: 'A cat.' }] },
        ],
      },
    ]);
    expect(outcome.parsed[0]?.nodes[0]).toMatchObject({ human: { text: 'What is in this picture?' }, assistant: { text: 'A cat.' } });
    expect(outcome.warnings).toEqual({ 'unknown-block-type': 1 });
  });
});
