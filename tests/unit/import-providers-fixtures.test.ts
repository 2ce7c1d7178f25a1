/**
 * Every Claude, Gemini, Grok and Copilot fixture through the real importer core (content detection, streaming,
 * identity), with the counts read off each file by hand (see the adapter suites for the per-record reasoning).
 */
import { describe, expect, it } from 'vitest';
import { fixtureText, HAS_FIXTURES, importBytes, NO_FIXTURES_REASON } from './import-providers-harness';

const nonZero = (record: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(record).filter(([, value]) => value > 0));

const CASES = [
  { file: 'claude/cl0ver012__chatlore__conversations.json', provider: 'claude', conversations: 2, nodes: 4, skipped: { 'no-messages': 1 }, warnings: { 'empty-message': 1 } },
  { file: 'claude/simonw__claude-to-sqlite__example.json', provider: 'claude', conversations: 1, nodes: 1, skipped: {}, warnings: {} },
  { file: 'gemini/cl0ver012__chatlore__MyActivity.json', provider: 'gemini', conversations: 3, nodes: 5, skipped: { 'unsupported-record': 2, 'bad-timestamp': 1 }, warnings: {} },
  { file: 'grok/portable-ai-memory__python-sdk__prod-grok-backend_assembled-from-tests.json', provider: 'grok', conversations: 4, nodes: 4, skipped: { 'unsupported-record': 2 }, warnings: { 'orphan-reply': 1 } },
  { file: 'grok/Sinity__polylogue__origin-capability_grok-export.json', provider: 'grok', conversations: 1, nodes: 1, skipped: {}, warnings: {} },
  { file: 'copilot/portable-ai-memory__python-sdk__copilot_formatA_Conversation-Time-Author-Message.csv', provider: 'copilot', conversations: 2, nodes: 2, skipped: {}, warnings: {} },
  { file: 'copilot/portable-ai-memory__python-sdk__copilot_formatB_ChatName-CreatedAt-Author-MessageContent.csv', provider: 'copilot', conversations: 1, nodes: 1, skipped: {}, warnings: {} },
  { file: 'copilot/portable-ai-memory__python-sdk__copilot_formatC_Timestamp-ClientApp-Prompt.csv', provider: 'copilot', conversations: 1, nodes: 1, skipped: {}, warnings: {} },
] as const;

describe.skipIf(!HAS_FIXTURES)(`provider fixtures end to end (${HAS_FIXTURES ? 'present' : NO_FIXTURES_REASON})`, () => {
  for (const expected of CASES) {
    it(`${expected.file}: ${expected.conversations} conversations, ${expected.nodes} nodes`, async () => {
      const { report } = await importBytes(expected.file.split('/')[1] ?? '', fixtureText(expected.file));
      expect({
        status: report.status,
        provider: report.provider,
        conversations: report.conversations,
        nodes: report.nodes,
        skipped: nonZero(report.skipped),
        warnings: nonZero(report.warnings),
      }).toEqual({ status: 'complete', provider: expected.provider, conversations: expected.conversations, nodes: expected.nodes, skipped: expected.skipped, warnings: expected.warnings });
    });
  }

  it('importing a fixture twice adds nothing the second time', async () => {
    const text = fixtureText('claude/cl0ver012__chatlore__conversations.json');
    const first = await importBytes('conversations.json', text);
    const second = await importBytes('conversations.json', text, new Set(first.nodeIds));
    expect([second.report.nodes, second.report.duplicates]).toEqual([0, 4]);
  });

  it('the grok.com web-API capture is refused as not an export', async () => {
    const { report } = await importBytes('native-bundle.json', fixtureText('grok/Sinity__polylogue__grok_native-bundle.json'));
    expect(report.status).toBe('failed');
    expect(report.error?.code).toBe('IMPORT_NOT_AN_EXPORT');
  });
});
