import { describe, expect, it } from 'vitest';
import { geminiAdapter } from '../../shared/import/providers/gemini';
import { htmlToText } from '../../shared/import/providers/common/text';
import { counts, detect, fixtureText, HAS_FIXTURES, NO_FIXTURES_REASON, runJson } from './import-providers-harness';

const row = (title: string, time: string, html?: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  header: 'Gemini Apps',
  title,
  time,
  products: ['Gemini Apps'],
  ...(html ? { safeHtmlItem: html.map((item) => ({ html: item })) } : {}),
  ...extra,
});

describe.skipIf(!HAS_FIXTURES)(`Gemini My Activity fixture (${HAS_FIXTURES ? 'present' : NO_FIXTURES_REASON})`, () => {
  const activity = (): unknown => JSON.parse(fixtureText('gemini/cl0ver012__chatlore__MyActivity.json'));

  it('rebuilds three conversations from the rows with exact counts', () => {
    const outcome = runJson(geminiAdapter, activity());
    // Feedback and Search rows are not prompts; one prompt row has an unreadable time.
    expect(counts(outcome)).toEqual({ conversations: 3, active: 5, inactive: 0, skipped: { 'unsupported-record': 2, 'bad-timestamp': 1 }, warnings: {} });
    expect(detect(geminiAdapter, activity())).toBeGreaterThan(0.8);
  });

  it('puts newest-first rows back in time order and splits on a 30-minute gap', () => {
    const outcome = runJson(geminiAdapter, activity());
    expect(outcome.parsed.map((parsed) => parsed.nodes.map((node) => node.human.text))).toEqual([
      ['Give me a recipe for Neapolitan pizza dough', 'And how long does the dough need to rest?'],
      ['What is the capital of Australia?', 'A question that got no stored response'],
      ['Wie spät ist es in Tokio?'],
    ]);
    expect(outcome.parsed[1]?.nodes[1]?.assistant).toBeNull();
  });

  it('imports the German row and turns answer HTML into readable text without scripts', () => {
    const outcome = runJson(geminiAdapter, activity());
    expect(outcome.parsed[2]?.nodes[0]?.assistant?.text).toBe('Es ist 17 Uhr.');
    expect(outcome.parsed[0]?.nodes[0]?.assistant?.text).toBe('Here is a simple recipe:\n\n- 500 g flour\n- 325 g water\n\nMix & rest.');
  });
});

describe('Gemini conversation rebuilding', () => {
  it('groups by app link when present, keeps drafts as inactive nodes, and ids survive a later export', () => {
    const link = { subtitles: [{ name: 'Open chat', url: 'https://gemini.google.com/app/abc123' }] };
    const t1 = [
      row('Prompted Second in app chat', '2026-04-01T12:00:00Z', ['<p>two</p>'], link),
      row('Prompted Unlinked', '2026-04-01T11:30:00Z', ['<p>u</p>']),
      row('Prompted First in app chat', '2026-04-01T09:00:00Z', ['<p>one</p>', '<p>one, draft 2</p>'], link),
    ];
    const first = runJson(geminiAdapter, t1);
    expect(counts(first)).toMatchObject({ conversations: 2, active: 3, inactive: 1 });
    const app = first.parsed.find((parsed) => parsed.conversation.providerConversationId === 'abc123');
    expect(app?.nodes.filter((node) => node.active).map((node) => node.assistant?.text)).toEqual(['one', 'two']);
    expect(app?.nodes.find((node) => !node.active)).toMatchObject({ ordinal: 0, assistant: { text: 'one, draft 2' }, branchId: '2026-04-01T09:00:00.000Z#draft2' });

    const t2 = [row('Prompted Follow-up within the gap', '2026-04-01T11:50:00Z', ['<p>f</p>']), ...t1];
    const second = runJson(geminiAdapter, t2);
    expect(second.parsed.map((parsed) => parsed.conversation.id)).toEqual(first.parsed.map((parsed) => parsed.conversation.id));
  });

  it('skips non-prompt row kinds and other products, counting them', () => {
    const outcome = runJson(geminiAdapter, [
      row('Created Gem', '2026-04-01T09:00:00Z'),
      row('Used Gemini Apps', '2026-04-01T09:00:00Z'),
      row('Selected preferred draft', '2026-04-01T09:00:00Z'),
      { header: 'YouTube', title: 'Watched x', time: '2026-04-01T09:00:00Z', products: ['YouTube'] },
      { header: 'Bard', title: 'Prompted old bard prompt', time: '2023-04-01T09:00:00Z', products: ['Bard'] },
    ]);
    expect(counts(outcome)).toEqual({ conversations: 1, active: 1, inactive: 0, skipped: { 'unsupported-record': 4 }, warnings: {} });
  });

  it('converts common answer HTML to markdown-ish text', () => {
    expect(htmlToText('<h2>Title</h2><ol><li>a</li><li><b>b</b></li></ol><pre><code>x &lt; 1\ny</code></pre><p>See <a href="https://e.org">docs</a>&nbsp;now</p>')).toBe(
      '## Title\n\n1. a\n2. **b**\n\n```\nx < 1\ny\n```\n\nSee [docs](https://e.org) now',
    );
  });
});
