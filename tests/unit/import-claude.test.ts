import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../../shared/import/providers/claude';
import { activeNodes, conversationTitled, counts, detect, fixtureText, HAS_FIXTURES, NO_FIXTURES_REASON, runJson } from './import-providers-harness';

describe.skipIf(!HAS_FIXTURES)(`Claude fixtures (${HAS_FIXTURES ? 'present' : NO_FIXTURES_REASON})`, () => {
  const edgeCases = (): unknown => JSON.parse(fixtureText('claude/cl0ver012__chatlore__conversations.json'));

  it('imports the edge-case export with exact counts', () => {
    const outcome = runJson(claudeAdapter, edgeCases());
    expect(counts(outcome)).toEqual({ conversations: 2, active: 3, inactive: 1, skipped: { 'no-messages': 1 }, warnings: { 'empty-message': 1 } });
  });

  it('keeps the newest branch active and the retried-away answer as an inactive node', () => {
    const rust = conversationTitled(runJson(claudeAdapter, edgeCases()), 'Rust lifetimes');
    const [first, second] = activeNodes(rust);
    expect(first?.human.text).toBe('Why does this not compile?');
    expect(first?.assistant?.text).toBe('Retried answer: move x out of the inner scope.');
    expect(second?.human.text).toBe('That worked, thanks.');
    expect(second?.assistant).toBeNull();
    const inactive = rust.nodes.filter((node) => !node.active);
    expect(inactive).toHaveLength(1);
    expect(inactive[0]).toMatchObject({ ordinal: 0, branchId: 'm2', human: { text: 'Why does this not compile?' }, assistant: { text: 'x does not live long enough.' } });
  });

  it('keeps thinking out of the visible text and folds the tool result into its call', () => {
    const rust = conversationTitled(runJson(claudeAdapter, edgeCases()), 'Rust lifetimes');
    const retried = activeNodes(rust)[0];
    expect(retried?.extras.toolCalls).toEqual([{ name: 'repl', input: '{"code":"cargo check"}', output: 'Finished dev profile' }]);
    const abandoned = rust.nodes.find((node) => !node.active);
    expect(abandoned?.extras.thinking).toEqual(['internal reasoning that must not be imported']);
    expect(abandoned?.assistant?.text).not.toContain('internal reasoning');
  });

  it('carries attachment text and file names', () => {
    const rust = conversationTitled(runJson(claudeAdapter, edgeCases()), 'Rust lifetimes');
    expect(activeNodes(rust)[0]?.attachments).toEqual([
      { name: 'main.rs', kind: 'file', mimeType: 'text/x-rust', text: 'fn main() { let r; { let x = 5; r = &x; } }' },
      { name: 'screenshot.png', kind: 'image', mimeType: null, text: null },
    ]);
  });

  it('reads an old export without parent ids in order and drops the whitespace-only reply', () => {
    const old = conversationTitled(runJson(claudeAdapter, edgeCases()), 'Old style export');
    expect(old.nodes.map((node) => [node.human.text, node.assistant?.text])).toEqual([['Give me a name for a cat.', 'Biscuit.']]);
    expect(old.conversation.messageCount).toBe(3);
  });

  it('imports the real trimmed export (Oct 2024 shape)', () => {
    const outcome = runJson(claudeAdapter, JSON.parse(fixtureText('claude/simonw__claude-to-sqlite__example.json')));
    expect(counts(outcome)).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: {}, warnings: {} });
    const [node] = outcome.parsed[0]?.nodes ?? [];
    expect(node?.human.text).toBe('Turn this into a bash command');
    expect(node?.assistant?.text.startsWith('To turn this into a bash command')).toBe(true);
    expect(node?.attachments.map((attachment) => attachment.name)).toEqual(['CleanShot 20241017 at 22.29.542x.png']);
    expect(outcome.parsed[0]?.conversation).toMatchObject({ id: 'claude:1db4c66e-b369-4e3a-96a9-6c16f8301ee8', title: 'Bash Command for OpenAI API', createdAt: Date.UTC(2024, 9, 18, 5, 30, 10, 325) });
  });

  it('claims Claude files by content and never a ChatGPT one', () => {
    expect(detect(claudeAdapter, edgeCases())).toBeGreaterThan(0.9);
    expect(detect(claudeAdapter, JSON.parse(fixtureText('chatgpt/cl0ver012__chatlore__conversations.json')))).toBe(0);
  });
});
