import { describe, expect, it } from 'vitest';
import { grokAdapter } from '../../shared/import/providers/grok';
import { activeNodes, conversationTitled, counts, detect, fixtureText, HAS_FIXTURES, NO_FIXTURES_REASON, runJson } from './import-providers-harness';

const ASSEMBLED = 'grok/portable-ai-memory__python-sdk__prod-grok-backend_assembled-from-tests.json';

describe.skipIf(!HAS_FIXTURES)(`Grok fixtures (${HAS_FIXTURES ? 'present' : NO_FIXTURES_REASON})`, () => {
  const assembled = (): unknown => JSON.parse(fixtureText(ASSEMBLED));

  it('imports the account export with exact counts', () => {
    const outcome = runJson(grokAdapter, assembled());
    // projects[0] and media_posts[0] carry no chat; the extras conversation is a lone assistant reply.
    expect(counts(outcome)).toEqual({ conversations: 4, active: 4, inactive: 0, skipped: { 'unsupported-record': 2 }, warnings: { 'orphan-reply': 1 } });
    expect(detect(grokAdapter, assembled())).toBeGreaterThan(0.9);
  });

  it('reads $numberLong times, upper-case senders, models and citations', () => {
    const chat = conversationTitled(runJson(grokAdapter, assembled()), 'Test Grok Chat');
    expect(chat.conversation).toMatchObject({ id: 'grok:conv-001', createdAt: Date.UTC(2026, 0, 1, 10), updatedAt: Date.UTC(2026, 0, 1, 11), model: 'grok-3' });
    const [node] = activeNodes(chat);
    expect(node).toMatchObject({
      human: { text: 'Hello Grok', messageIds: ['msg-001'], createdAt: 1735689600000 },
      assistant: { text: "Hello! I'm Grok.", messageIds: ['msg-002'], createdAt: 1735689610000, model: 'grok-3' },
    });
    expect(node?.extras.citations).toEqual(['Grok https://grok.x.ai']);
  });

  it('keeps the thinking trace hidden and file attachments by id', () => {
    const outcome = runJson(grokAdapter, assembled());
    const extras = activeNodes(conversationTitled(outcome, 'Extras test'))[0];
    expect(extras?.assistant?.text).toBe('Thinking...');
    expect(extras?.extras.thinking).toEqual(['Let me think...']);
    expect(extras?.human.text).toBe('');
    const attachments = activeNodes(conversationTitled(outcome, 'Attachment test'))[0]?.attachments;
    expect(attachments?.map((attachment) => attachment.name)).toEqual(['uuid-abc', 'uuid-def']);
  });

  it('accepts the flat variant with no ids, giving it a stable synthesised id', () => {
    const document = JSON.parse(fixtureText('grok/Sinity__polylogue__origin-capability_grok-export.json')) as unknown;
    const first = runJson(grokAdapter, document);
    expect(counts(first)).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: {}, warnings: {} });
    const [node] = first.parsed[0]?.nodes ?? [];
    expect([node?.human.text, node?.assistant?.text]).toEqual(['Prove the parser claim.', 'The production route parsed this witness.']);
    expect(first.parsed[0]?.conversation.providerConversationId).toMatch(/^synth-[0-9a-f]{16}$/);
    expect(runJson(grokAdapter, document).parsed[0]?.conversation.id).toBe(first.parsed[0]?.conversation.id);
  });

  it('does not claim the grok.com web-API capture (not an export)', () => {
    expect(detect(grokAdapter, JSON.parse(fixtureText('grok/Sinity__polylogue__grok_native-bundle.json')))).toBe(0);
  });
});
