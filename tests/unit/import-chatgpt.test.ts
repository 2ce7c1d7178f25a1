import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chatgptAdapter } from '../../shared/import/providers/chatgpt';
import { memoryNodeSchema, conversationSchema, type MemoryNode } from '../../shared/model';
import { bytesSource, fileSource, runImport } from '../support/import-helpers';
import { FIXTURES } from './import-providers-harness';

const dir = join(FIXTURES, 'chatgpt');
const fixture = (name: string) => fileSource(join(dir, name));
const active = (nodes: MemoryNode[]) => nodes.filter((node) => node.active);
const inactive = (nodes: MemoryNode[]) => nodes.filter((node) => !node.active);
const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));

describe.skipIf(!existsSync(dir))('ChatGPT fixtures (../shared/fixtures/chatgpt; skipped when that folder is absent)', () => {
  it('cl0ver012: 2 conversations, 3 active + 1 regenerated answer, and the two broken records skipped with reasons', async () => {
    const run = await runImport(fixture('cl0ver012__chatlore__conversations.json'));
    expect(run.report.status).toBe('complete');
    expect(run.report.provider).toBe('chatgpt');
    expect(run.report.records).toBe(4);
    expect(run.report.conversations).toBe(2);
    expect(active(run.nodes)).toHaveLength(3);
    expect(inactive(run.nodes)).toHaveLength(1);
    // "Broken record" has no mapping, "No id" has neither id nor conversation_id.
    expect(nonZero(run.report.skipped)).toEqual({ 'no-messages': 1, 'missing-id': 1 });
    expect(nonZero(run.report.warnings)).toEqual({});

    const [postgres, trip] = run.conversations;
    expect(postgres?.id).toBe('chatgpt:11111111-aaaa-4bbb-8ccc-000000000001'); // from conversation_id
    expect(trip?.id).toBe('chatgpt:22222222-aaaa-4bbb-8ccc-000000000002'); // from id
    expect(postgres?.nodeCount).toBe(2);
    expect(postgres?.messageCount).toBe(9);
    expect(postgres?.createdAt).toBe(1767261600000);
    expect(postgres?.updatedAt).toBe(1767265200500);

    const nodes = run.nodes.filter((node) => node.conversationId === postgres?.id);
    const [first, second, regenerated] = nodes;
    expect(first?.human.text).toBe('Why is my query on orders slow?');
    expect(first?.assistant?.text).toBe('You are missing an index on customer_id. Add a composite index.');
    expect(first?.attachments).toEqual([{ name: 'explain.txt', kind: 'file', mimeType: 'text/plain', text: null }]);
    expect(first?.createdAt).toBe(1767261600000);
    // The image part of the multimodal message is an attachment, its text the human turn.
    expect(second?.human.text).toBe('Here is the plan output. Can you write the statement?');
    expect(second?.attachments.map((a) => a.kind)).toEqual(['image']);
    expect(second?.assistant?.text).toBe(
      '```sql\nCREATE INDEX idx_orders_customer ON orders (customer_id, created_at);\n```\n\nDone. The query should now use the index.',
    );
    expect(second?.extras.thinking).toEqual(['x\ny']);
    expect(second?.extras.toolCalls).toEqual([{ name: 'python', input: '', output: 'CREATE INDEX' }]);
    expect(second?.ordinal).toBe(1);
    expect(regenerated).toMatchObject({ active: false, branchId: 'a1', ordinal: 0 });
    expect(regenerated?.human.text).toBe('Why is my query on orders slow?');
    expect(regenerated?.assistant?.text).toBe('First answer that was regenerated.');
    // No default_model_slug: the conversation takes the model its replies name.
    expect(trip?.model).toBe('gpt-5-mini');
    expect(run.nodes.find((node) => node.conversationId === trip?.id)?.assistant?.model).toBe('gpt-5-mini');
  });

  it('Sinity: a single conversation object at the root, with every newer content type kept in its place', async () => {
    const run = await runImport(fixture('Sinity__polylogue__native-conversation-v1.json'));
    expect(run.report.status).toBe('complete');
    expect(run.report.conversations).toBe(1);
    expect(active(run.nodes)).toHaveLength(1);
    expect(inactive(run.nodes)).toHaveLength(1);
    expect(nonZero(run.report.skipped)).toEqual({});
    expect(nonZero(run.report.warnings)).toEqual({});
    const [main, superseded] = run.nodes;
    expect(main?.human.text).toBe('Analyze the attached fixture and create an artifact.');
    expect(main?.assistant?.text).toBe('Final answer. [Download artifact](sandbox:/mnt/data/fixture-result.zip)');
    expect(main?.assistant?.model).toBe('gpt-5-6-pro');
    expect(main?.extras.customInstructions).toEqual(['Privacy-safe fixture profile.\n\nPreserve structured provider evidence.']);
    expect(main?.extras.thinking).toEqual(['Privacy-safe reasoning trace.', 'Privacy-safe reasoning summary.']);
    expect(main?.extras.toolCalls).toEqual([{ name: 'browser.search', input: '{"query":"fixture evidence"}', output: 'Privacy-safe tool result.' }]);
    expect(main?.attachments.map((a) => `${a.kind}:${a.name}`)).toEqual([
      'file:input.txt',
      'image:file-service://fixture-input-image',
      'image:file-service://fixture-output-image',
    ]);
    expect(superseded).toMatchObject({ active: false, branchId: 'answer-inactive-message' });
    expect(superseded?.assistant?.text).toBe('Superseded answer.');
    // The custom instructions are not a user message: never part of the visible text.
    expect(main?.human.text).not.toContain('Privacy-safe fixture profile');
    const conversation = run.conversations[0];
    expect(conversation?.id).toBe('chatgpt:chatgpt-fixture-conversation');
    expect(conversation?.model).toBe('gpt-5-6-pro');
    expect(JSON.parse(conversation?.raw ?? 'null')).toEqual(JSON.parse(readFileSync(join(dir, 'Sinity__polylogue__native-conversation-v1.json'), 'utf8')));
  });

  it('pkuppens (real 2023 export subset): 8 conversations, 64 active and 3 inactive nodes, browsing tool calls folded', async () => {
    const run = await runImport(fixture('pkuppens__my_chat_gpt__conversations_2023-06_subset.json'));
    expect(run.report.status).toBe('complete');
    expect(run.report.conversations).toBe(8);
    expect(active(run.nodes)).toHaveLength(64);
    expect(inactive(run.nodes)).toHaveLength(3);
    expect(nonZero(run.report.skipped)).toEqual({});
    expect(nonZero(run.report.warnings)).toEqual({});
    expect(run.conversations.map((c) => c.nodeCount)).toEqual([1, 1, 1, 4, 2, 47, 7, 1]);
    // The three "New chat" conversations hold a prompt that never got a reply.
    const unanswered = run.nodes.filter((node) => node.assistant === null && node.extras.toolCalls.length === 0);
    expect(unanswered).toHaveLength(3);
    const website = run.nodes.filter((node) => node.conversationId === 'chatgpt:902d8aca-bcd3-477a-a348-d46448b6cd06');
    const calls = website.flatMap((node) => node.extras.toolCalls);
    expect(calls.every((call) => call.name === 'browser')).toBe(true);
    expect(calls.some((call) => call.output?.startsWith('tool_error:'))).toBe(true); // system_error folded in
    expect(website.flatMap((node) => node.extras.citations).length).toBeGreaterThan(0); // tether_quote
    for (const node of website) expect(node.assistant?.text ?? '').not.toContain('tool_error');
    for (const node of run.nodes) memoryNodeSchema.parse(node);
    for (const conversation of run.conversations) conversationSchema.parse(conversation);
  });
});

/** A conversation built inline: a mapping from [key, parent, role, content, extra] rows. */
function chat(rows: [string, string | null, string, Record<string, unknown> | null, Record<string, unknown>?][], extra: Record<string, unknown> = {}) {
  const mapping: Record<string, unknown> = {};
  for (const [key, parent, role, content, more] of rows) {
    mapping[key] = {
      id: key,
      parent,
      children: rows.filter((row) => row[1] === key).map((row) => row[0]),
      message: content === null ? null : { id: key, author: { role, name: more?.['name'] ?? null }, create_time: 1_700_000_000, content, metadata: {}, ...more },
    };
  }
  return { id: 'inline', title: 'Inline', create_time: 1_700_000_000.25, mapping, ...extra };
}
const text = (t: string) => ({ content_type: 'text', parts: [t] });
const importJson = (value: unknown) => runImport(bytesSource(new TextEncoder().encode(JSON.stringify(value))));

describe('ChatGPT adapter behaviour', () => {
  it('falls back to the newest leaf when current_node is missing, and survives cycles and dangling parents', async () => {
    const value = chat([
      ['r', null, '', null],
      ['u1', 'r', 'user', text('question')],
      ['old', 'u1', 'assistant', text('old answer'), { create_time: 1_700_000_001 }],
      ['new', 'u1', 'assistant', text('new answer'), { create_time: 1_700_000_009 }],
    ], { default_model_slug: 'gpt-4o' });
    const run = await importJson([value]);
    // Messages without model_slug take the conversation's default_model_slug.
    expect(run.nodes.map((n) => n.assistant?.model)).toEqual(['gpt-4o', 'gpt-4o']);
    expect(run.nodes.map((n) => [n.active, n.assistant?.text])).toEqual([
      [true, 'new answer'],
      [false, 'old answer'],
    ]);

    const cyclic = chat([
      ['a', 'b', 'user', text('one')],
      ['b', 'a', 'assistant', text('two')],
    ], { current_node: 'b' });
    const dangling = chat([['u', 'gone', 'user', text('orphaned')], ['x', 'u', 'assistant', text('reply')]], { id: 'dangling', current_node: 'x' });
    const run2 = await importJson([cyclic, dangling]);
    expect(run2.report.status).toBe('complete');
    expect(run2.report.warnings['cycle-in-tree']).toBe(1);
    expect(run2.report.warnings['dangling-parent']).toBe(1);
    expect(run2.nodes.map((n) => n.human.text)).toEqual(['one', 'orphaned']);
  });

  it('keeps unknown content types as text with a warning, and object parts it cannot read with a warning', async () => {
    const value = chat([
      ['u', null, 'user', { content_type: 'multimodal_text', parts: [{ content_type: 'hologram_pointer' }, 'look', { content_type: 'audio_transcription', text: 'spoken words' }] }],
      ['a', 'u', 'assistant', { content_type: 'future_type', text: 'still readable' }],
      ['s', 'a', 'tool', { content_type: 'sonic_webpage', title: 'Page', url: 'https://example.com', text: 'page text' }, { name: 'web' }],
    ], { current_node: 's' });
    const run = await importJson([value]);
    expect(run.report.warnings['unknown-content-type']).toBe(1);
    expect(run.report.warnings['unreadable-part']).toBe(1);
    const [node] = run.nodes;
    expect(node?.human.text).toBe('look\nspoken words');
    expect(node?.assistant?.text).toBe('still readable');
    expect(node?.extras.citations).toEqual(['Page https://example.com']);
    expect(node?.extras.toolCalls).toEqual([{ name: 'web', input: '', output: 'page text' }]);
  });

  it('takes create_time as float seconds, numeric or ISO strings, and null', async () => {
    const at = (t: unknown) => chat([['u', null, 'user', text('t'), { create_time: t }]], { id: `${typeof t}:${String(t)}`, current_node: 'u', create_time: t });
    const run = await importJson([at(1_700_000_000.5), at('1700000000.5'), at('2023-11-14T22:13:20.500Z'), at(null), at('soon')]);
    expect(run.nodes.map((n) => n.createdAt)).toEqual([1_700_000_000_500, 1_700_000_000_500, 1_700_000_000_500, null, null]);
    expect(run.report.warnings['bad-timestamp']).toBe(2);
  });

  it('puts an edited prompt on its own inactive branch, counted from the fork', async () => {
    const value = chat([
      ['u1', null, 'user', text('first')],
      ['a1', 'u1', 'assistant', text('first reply')],
      ['u2', 'a1', 'user', text('edited prompt')],
      ['a2', 'u2', 'assistant', text('reply to edit')],
      ['u2old', 'a1', 'user', text('original prompt')],
      ['a2old', 'u2old', 'assistant', text('reply to original')],
      ['u3old', 'a2old', 'user', text('follow-up on original')],
    ], { current_node: 'a2' });
    const run = await importJson([value]);
    expect(run.nodes.map((n) => [n.active, n.ordinal, n.human.text, n.branchId])).toEqual([
      [true, 0, 'first', null],
      [true, 1, 'edited prompt', null],
      [false, 1, 'original prompt', 'u3old'],
      [false, 2, 'follow-up on original', 'u3old'],
    ]);
  });

  it('detects by content: a conversations list, a single conversation object, never something else', () => {
    const record = (value: unknown, path = '', inArray = true) => ({ path, index: 0, value, raw: JSON.stringify(value), inArray });
    expect(chatgptAdapter.detectJson?.(record(chat([])), 'array')).toBeGreaterThan(0.5);
    expect(chatgptAdapter.detectJson?.(record({ uuid: 'x', chat_messages: [] }), 'array')).toBe(0);
    expect(chatgptAdapter.detectJson?.(record({ a: { children: [] } }, 'mapping', false), 'object')).toBeGreaterThan(0);
    expect(chatgptAdapter.detectJson?.(record('x', 'title', false), 'object')).toBe(0);
  });
});
